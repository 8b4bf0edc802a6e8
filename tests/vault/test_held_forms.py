"""What a citizen types into a health or benefits form survives a step-up that lapses while they type.

The add and change pages ask for the step-up before the form is shown. If the 15 minutes pass while the
citizen types, the POST is refused and sent to step up; what was typed is held server-side, sealed under
the citizen's data key, and after the step-up the page shows it once, filled in, for them to check and
save. Nothing is saved on its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from idp.accounts.models import LoginSession, User
from idp.database import utcnow
from idp.extensions import db
from tests.authn.helpers import age_session, code_at, complete_step_up, enrol_totp, post_code, sign_in_with_code
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.web_helpers import csrf_token, post_form, sign_in
from vault import services
from vault.models import HeldForm
from vault.services import Provenance

GP = {"kind": "gp_registration", "practice_name": "Millbrook Surgery", "nhs_number": "485 777 3456"}
ADD_GP = "/vault/health/add/gp_registration"
TYPED = {"practice_name": "Riverside Medical Centre", "nhs_number": "943 476 5919"}
LAPSED = 15 * 60 + 60
BANNER = "Check your answers and save"


@pytest.fixture
def user(app: Flask) -> User:
    user = create_user()
    services.create_record(user.id, "health", GP, Provenance.citizen())
    return user


@pytest.fixture
def signed_in(client: FlaskClient, user: User) -> FlaskClient:
    """A citizen without a second factor, signed in with the password just now (so stepped up)."""
    assert sign_in(client).status_code == 302
    return client


def practices(user: User) -> list[str]:
    db.session.expire_all()
    return sorted(record.data["practice_name"] for record in services.list_records(user.id, "health"))


def post_after_lapse(client: FlaskClient, user: User, url: str = ADD_GP, form: dict[str, str] = TYPED) -> Any:
    """Open the form while stepped up, let the 15 minutes pass while typing, then select Save."""
    token = csrf_token(client, url)
    age_session(user, LAPSED)
    response = client.post(url, data={**form, "csrf_token": token})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in/step-up"
    return response


def held_rows() -> list[HeldForm]:
    db.session.expire_all()
    return list(db.session.scalars(select(HeldForm)))


def test_the_add_and_change_pages_ask_for_the_step_up_before_the_form_is_shown(client: FlaskClient, user: User) -> None:
    sign_in(client)  # the password today, then an authenticator app set up: a second factor is now due
    enrol_totp(user)
    record = services.list_records(user.id, "health")[0]
    for url in (ADD_GP, f"/vault/health/{record.id}/change", "/vault/benefits/add/benefit_claim"):
        response = client.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/sign-in/step-up" and parse_qs(location.query)["next"] == [url]


def test_after_a_lapsed_second_factor_the_form_comes_back_filled_in_and_unsaved(
    client: FlaskClient, user: User
) -> None:
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    refused = post_after_lapse(client, user)
    # The step-up: the password again (the sign-in is too old), then a fresh code from the app.
    assert client.get(refused.headers["Location"]).headers["Location"] == "/sign-in/step-up/password"
    assert post_form(client, "/sign-in/step-up/password", {"password": DEFAULT_PASSWORD}).status_code == 302
    back = post_code(client, "/sign-in/step-up/code", code_at(secret, 1))
    assert back.status_code == 302 and back.headers["Location"] == ADD_GP
    page = client.get(ADD_GP).get_data(as_text=True)
    assert BANNER in page and 'value="Riverside Medical Centre"' in page and 'value="943 476 5919"' in page
    assert practices(user) == ["Millbrook Surgery"]


def test_after_a_lapsed_password_the_form_comes_back_filled_in_and_unsaved(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    page = complete_step_up(signed_in, ADD_GP, password=DEFAULT_PASSWORD)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Riverside Medical Centre"' in text
    assert f'<h3 class="govuk-notification-banner__heading">{BANNER}</h3>' in text
    assert practices(user) == ["Millbrook Surgery"]


def test_saving_the_form_shown_again_stores_the_record(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    complete_step_up(signed_in, ADD_GP, password=DEFAULT_PASSWORD)
    assert post_form(signed_in, ADD_GP, TYPED).status_code == 302
    assert practices(user) == ["Millbrook Surgery", "Riverside Medical Centre"]


def test_the_held_form_is_shown_once(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    first = complete_step_up(signed_in, ADD_GP, password=DEFAULT_PASSWORD).get_data(as_text=True)
    assert BANNER in first
    again = signed_in.get(ADD_GP).get_data(as_text=True)
    assert BANNER not in again and "Riverside Medical Centre" not in again
    assert held_rows() == []


def test_a_change_form_comes_back_with_the_version_the_citizen_was_changing(signed_in: FlaskClient, user: User) -> None:
    record = services.list_records(user.id, "health")[0]
    url = f"/vault/health/{record.id}/change"
    post_after_lapse(signed_in, user, url, {**TYPED, "version": "1"})
    services.update_record(user.id, "health", record.id, {**GP, "practice_name": "Elsewhere"}, Provenance.citizen())
    text = complete_step_up(signed_in, url, password=DEFAULT_PASSWORD).get_data(as_text=True)
    assert BANNER in text and 'value="Riverside Medical Centre"' in text
    assert 'name="version" value="1"' in text  # so saving it is refused as stale, not a silent overwrite


def test_another_sign_in_of_the_same_citizen_cannot_take_it(app: Flask, signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    other_browser = app.test_client()
    sign_in(other_browser)
    other = other_browser.get(ADD_GP).get_data(as_text=True)
    assert BANNER not in other and "Riverside Medical Centre" not in other
    text = complete_step_up(signed_in, ADD_GP, password=DEFAULT_PASSWORD).get_data(as_text=True)
    assert 'value="Riverside Medical Centre"' in text


def test_a_held_form_moved_to_another_citizens_session_does_not_open(
    app: Flask, signed_in: FlaskClient, user: User
) -> None:
    post_after_lapse(signed_in, user)
    someone = create_user(email="someone@example.org")
    services.create_record(someone.id, "health", GP, Provenance.citizen())
    their_browser = app.test_client()
    sign_in(their_browser, "someone@example.org")
    theirs = db.session.scalars(select(LoginSession).where(LoginSession.user_id == someone.id)).one()
    row = held_rows()[0]
    row.user_id, row.login_session_id = someone.id, theirs.id
    db.session.commit()
    page = their_browser.get(ADD_GP).get_data(as_text=True)
    assert BANNER not in page and "Riverside Medical Centre" not in page


def test_a_held_form_is_stored_sealed_with_nothing_typed_in_plaintext(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    [row] = held_rows()
    stored = b" ".join(str(getattr(row, column.key)).encode() for column in HeldForm.__table__.columns)
    for typed in (*TYPED.values(), "practice_name", "nhs_number"):
        assert typed.encode() not in row.ciphertext and typed.encode() not in stored
    assert row.path == ADD_GP and row.expires_at <= utcnow() + timedelta(minutes=15)


def test_signing_out_deletes_the_held_form(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    assert len(held_rows()) == 1
    assert post_form(signed_in, "/sign-out", {}).status_code == 302
    assert held_rows() == []


def test_deleting_the_account_deletes_the_held_form(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    assert len(held_rows()) == 1
    response = post_form(signed_in, "/vault/delete-account", {"confirm": "yes", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert held_rows() == []


def test_an_expired_held_form_is_not_shown_and_the_purge_deletes_it(
    app: Flask, signed_in: FlaskClient, user: User
) -> None:
    post_after_lapse(signed_in, user)
    row = held_rows()[0]
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["oauth2", "purge"])
    assert result.exit_code == 0 and "vault_held_forms: 1" in result.output
    text = complete_step_up(signed_in, ADD_GP, password=DEFAULT_PASSWORD).get_data(as_text=True)
    assert BANNER not in text and "Riverside Medical Centre" not in text


def test_an_expired_held_form_left_unpurged_is_not_shown(signed_in: FlaskClient, user: User) -> None:
    post_after_lapse(signed_in, user)
    row = held_rows()[0]
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    text = complete_step_up(signed_in, ADD_GP, password=DEFAULT_PASSWORD).get_data(as_text=True)
    assert BANNER not in text and "Riverside Medical Centre" not in text
    assert db.session.scalar(select(func.count()).select_from(HeldForm)) == 0
