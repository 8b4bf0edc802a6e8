"""An officer signs a citizen out everywhere (the citizen phoned: their phone was stolen).

From the officer's page on the citizen, "Sign this person out everywhere" asks on a page of its own, then
ends every sign-in session by the one rule (``end_sessions``: the sessions' tokens revoked, their services
told by back-channel logout), answers with a GOV.UK confirmation page, audits the action with the officer
as actor, and tells the citizen through the outbox. Staff pages' role and second-factor checks apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from idp.accounts.models import LoginSession, User
from idp.audit import AuditEvent
from idp.extensions import db
from tests.builders import create_user
from tests.flows import allow_consent
from tests.oauth.helpers import RP, exchange, make_rp, refresh
from tests.oauth.logout_receiver import LogoutReceiver, receiver  # noqa: F401  (a fixture, found by name)
from tests.officers.helpers import create_staff, signed_in_as
from tests.web_helpers import body, latest_message, post_form, sign_in

EMAIL = "rosa@example.org"
SCOPE = "openid profile email"


@pytest.fixture
def citizen(app: Flask) -> User:
    return create_user(email=EMAIL, given_name="Rosa", family_name="Lane")


@pytest.fixture
def rp(app: Flask, receiver: LogoutReceiver) -> RP:  # noqa: F811
    return make_rp(organisation_type="council_service", scope=SCOPE, backchannel_logout_uri=receiver.uri)


def phone_signed_in_at(app: Flask, rp: RP) -> tuple[FlaskClient, dict[str, Any]]:
    """The citizen's (soon stolen) phone: signed in to Logbook and, through it, to a council service."""
    phone = app.test_client()
    assert sign_in(phone, EMAIL).status_code == 302
    response = exchange(phone, rp, allow_consent(phone, rp, SCOPE))
    assert response.status_code == 200, response.get_json()
    return phone, response.get_json()


def page_of(user: User) -> str:
    return f"/officers/citizens/{user.id}"


def confirm_url(user: User) -> str:
    return f"{page_of(user)}/sign-out-everywhere"


def sessions_of(user: User) -> int:
    return int(db.session.scalar(select(func.count()).where(LoginSession.user_id == user.id)) or 0)


def sign_out_everywhere(officer_browser: FlaskClient, user: User) -> Any:
    return post_form(officer_browser, confirm_url(user), {})


def test_the_officers_page_on_a_citizen_links_to_sign_them_out_everywhere(client: FlaskClient, citizen: User) -> None:
    signed_in_as(client, "officer")
    page = client.get(page_of(citizen)).get_data(as_text=True)
    assert "Sign this person out everywhere" in page and f'href="{confirm_url(citizen)}"' in page


def test_the_confirmation_page_asks_first_and_ends_nothing(app: Flask, client: FlaskClient, citizen: User) -> None:
    phone = app.test_client()
    sign_in(phone, EMAIL)
    signed_in_as(client, "officer")
    page = client.get(confirm_url(citizen))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Are you sure you want to sign Rosa Lane out everywhere?" in text
    assert "signed in to Logbook on 1 device now" in text
    assert phone.get("/account").status_code == 200


def test_every_session_ends_its_tokens_are_refused_and_its_services_are_told(
    app: Flask,
    client: FlaskClient,
    citizen: User,
    rp: RP,
    receiver: LogoutReceiver,  # noqa: F811
) -> None:
    phone, tokens = phone_signed_in_at(app, rp)
    laptop = app.test_client()
    sign_in(laptop, EMAIL)
    signed_in_as(client, "officer")
    response = sign_out_everywhere(client, citizen)
    assert response.status_code == 200
    assert "Rosa Lane is signed out everywhere" in response.get_data(as_text=True)  # the confirmation panel
    assert phone.get("/account").status_code == 302 and laptop.get("/account").status_code == 302
    assert sessions_of(citizen) == 0
    refused = refresh(app.test_client(), rp, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_grant"
    assert [claims["aud"] for _, claims in receiver.decoded(client)] == [rp.client_id]


def test_the_officers_own_session_is_untouched(app: Flask, client: FlaskClient, citizen: User) -> None:
    signed_in_as(client, "officer")
    sign_out_everywhere(client, citizen)
    assert client.get(page_of(citizen)).status_code == 200


def test_the_citizen_is_told_through_the_outbox(client: FlaskClient, citizen: User, outbox: Path) -> None:
    signed_in_as(client, "officer")
    sign_out_everywhere(client, citizen)
    message = latest_message(outbox, to=EMAIL)
    assert message["Subject"] == "You have been signed out of Logbook on every device"
    assert "A council officer signed you out of Logbook on every device" in body(message)


def test_it_is_audited_with_the_officer_as_actor_and_shown_to_the_citizen(
    app: Flask, client: FlaskClient, citizen: User
) -> None:
    """Issue 6: "Every officer action lands in the audit log with the officer's identity"."""
    phone = app.test_client()
    sign_in(phone, EMAIL)
    officer = signed_in_as(client, "officer")
    sign_out_everywhere(client, citizen)
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sessions.ended")).one()
    assert (row.actor_id, row.actor_role, row.subject_user_id) == (officer.id, "officer", citizen.id)
    assert row.detail == {"sessions": 1}
    sign_in(phone, EMAIL)
    assert "Signed you out of Logbook on every device" in phone.get("/account/activity").get_data(as_text=True)


def test_staff_without_the_officer_role_are_refused(app: Flask, client: FlaskClient, citizen: User) -> None:
    phone = app.test_client()
    sign_in(phone, EMAIL)
    signed_in_as(client, "auditor")
    assert client.get(confirm_url(citizen)).status_code == 403
    assert post_form(client, confirm_url(citizen), {}, page_url="/account/sessions").status_code == 403
    assert sessions_of(citizen) == 1


def test_an_officer_without_a_recent_second_factor_is_sent_to_step_up(
    app: Flask, client: FlaskClient, citizen: User
) -> None:
    phone = app.test_client()
    sign_in(phone, EMAIL)
    officer = create_staff("officer")
    sign_in(client, officer.email or "")  # password only
    response = post_form(client, confirm_url(citizen), {}, page_url="/account/sessions")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in/step-up")
    assert sessions_of(citizen) == 1


def test_a_post_without_the_form_token_ends_nothing(app: Flask, client: FlaskClient, citizen: User) -> None:
    phone = app.test_client()
    sign_in(phone, EMAIL)
    signed_in_as(client, "officer")
    assert client.post(confirm_url(citizen), data={}).status_code == 400
    assert sessions_of(citizen) == 1


def test_an_unknown_citizen_is_not_found(client: FlaskClient) -> None:
    signed_in_as(client, "officer")
    assert client.get("/officers/citizens/nobody/sign-out-everywhere").status_code == 404
