"""Officers create accounts on a citizen's behalf and find citizens by exact verified details."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.audit import AuditEvent
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD
from tests.officers.helpers import signed_in_as
from tests.web_helpers import body, latest_message, post_form, sign_in

NEW_CITIZEN = {
    "given_name": "Ada",
    "family_name": "Okafor",
    "birthdate": "14/02/1961",
    "postcode": "le1 5ws",
    "contact": "ada.okafor@example.org",
    "delivery": "letter",
}


def _create(client: FlaskClient, **changes: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/officers/accounts/new", {**NEW_CITIZEN, **changes})


def _letter_code(page: str) -> str:
    match = re.search(r'id="activation-code">([A-Z0-9-]+)<', page)
    assert match, "no activation code on the letter"
    return match.group(1)


def _activate(
    client: FlaskClient, code: str, contact: str = "ada.okafor@example.org", password: str = DEFAULT_PASSWORD
):  # type: ignore[no-untyped-def]
    data = {"contact": contact, "code": code, "new_password": password, "confirm_password": password}
    return post_form(client, "/activate", data)


def test_creating_an_account_prints_a_letter_with_an_activation_code(client: FlaskClient) -> None:
    """Create an account on a citizen's behalf, which sends an activation letter code (printable)."""
    signed_in_as(client, "officer")
    response = _create(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Activate your Logbook account" in page and "LE1 5WS" in page
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", _letter_code(page))
    user = db.session.query(User).filter_by(email="ada.okafor@example.org").one()
    assert user.password_hash is None


def test_the_letter_code_is_not_stored_in_clear(client: FlaskClient) -> None:
    signed_in_as(client, "officer")
    code = _letter_code(_create(client).get_data(as_text=True))
    from idp.officers.models import ActivationCode

    row = db.session.query(ActivationCode).one()
    assert code not in row.code_digest and code.replace("-", "") not in row.code_digest


def test_the_citizen_activates_with_the_letter_code_and_signs_in(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    """The citizen activates at a public page and sets a password."""
    signed_in_as(client, "officer")
    code = _letter_code(_create(client).get_data(as_text=True))
    citizen = app.test_client()
    response = _activate(citizen, code.lower().replace("-", " "))
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    user = db.session.query(User).filter_by(email="ada.okafor@example.org").one()
    assert user.password_hash


def test_an_activation_code_works_once(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    signed_in_as(client, "officer")
    code = _letter_code(_create(client).get_data(as_text=True))
    citizen = app.test_client()
    _activate(citizen, code)
    again = _activate(citizen, code, password="another good passphrase")
    assert again.status_code == 400
    assert "activation code or contact is not right" in again.get_data(as_text=True)


def test_a_wrong_activation_code_is_refused_and_sets_no_password(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    signed_in_as(client, "officer")
    _create(client)
    response = _activate(app.test_client(), "AAAA-AAAA-AAAA")
    assert response.status_code == 400
    assert db.session.query(User).filter_by(email="ada.okafor@example.org").one().password_hash is None


def test_the_code_can_be_sent_as_a_message_instead(client: FlaskClient, app, outbox: Path) -> None:  # type: ignore[no-untyped-def]
    """... or sends a message through the outbox; activating from it confirms the address."""
    signed_in_as(client, "officer")
    response = _create(client, delivery="message")
    assert response.status_code == 302
    message = body(latest_message(outbox, "ada.okafor@example.org"))
    code = re.search(r"code is ([A-Z0-9-]+)\.", message).group(1)  # type: ignore[union-attr]
    assert _activate(app.test_client(), code).status_code == 302
    assert sign_in(app.test_client(), "ada.okafor@example.org").status_code == 302
    assert db.session.query(User).filter_by(email="ada.okafor@example.org").one().email_verified_at is not None


def test_an_existing_contact_cannot_get_a_second_account(client: FlaskClient) -> None:
    signed_in_as(client, "officer")
    _create(client)
    response = _create(client)
    assert response.status_code == 400
    assert "There is already an account" in response.get_data(as_text=True)


def test_search_by_exact_name_birthdate_and_postcode_finds_the_account(client: FlaskClient) -> None:
    """Search for a citizen by verified details: exact matches on name + date of birth + postcode."""
    signed_in_as(client, "officer")
    _create(client)
    user = db.session.query(User).filter_by(email="ada.okafor@example.org").one()
    details = {"d-given_name": "ADA", "d-family_name": "okafor", "d-birthdate": "14/02/1961", "d-postcode": "LE15WS"}
    response = post_form(client, "/officers/search/details", details, page_url="/officers")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/officers/citizens/{user.id}"


def test_search_with_one_detail_different_finds_nothing(client: FlaskClient) -> None:
    """No browsing: a partial match is no match."""
    signed_in_as(client, "officer")
    _create(client)
    details = {"d-given_name": "Ada", "d-family_name": "Okafor", "d-birthdate": "15/02/1961", "d-postcode": "LE1 5WS"}
    response = post_form(client, "/officers/search/details", details, page_url="/officers")
    assert response.status_code == 400
    assert "No account matches these details exactly" in response.get_data(as_text=True)


def test_search_by_contact_finds_the_account(client: FlaskClient) -> None:
    signed_in_as(client, "officer")
    _create(client)
    response = post_form(
        client, "/officers/search/contact", {"c-contact": "Ada.Okafor@example.org"}, page_url="/officers"
    )
    assert response.status_code == 302


def test_searches_and_account_creation_are_audited_with_the_officer(client: FlaskClient) -> None:
    """Every officer action lands in the audit log with the officer's identity."""
    officer = signed_in_as(client, "officer")
    _create(client)
    post_form(client, "/officers/search/contact", {"c-contact": "ada.okafor@example.org"}, page_url="/officers")
    user = db.session.query(User).filter_by(email="ada.okafor@example.org").one()
    client.get(f"/officers/citizens/{user.id}")
    rows = db.session.query(AuditEvent).filter_by(actor_id=officer.id).order_by(AuditEvent.seq).all()
    assert [row.action for row in rows] == ["account.created", "citizen.searched", "citizen.viewed"]
    assert rows[0].subject_user_id == user.id and rows[2].subject_user_id == user.id


def test_the_citizen_page_never_shows_vault_contents(client: FlaskClient) -> None:
    """Officers NEVER see vault contents."""
    from tests.vault.helpers import TENANCY
    from vault.services import Provenance, create_record

    signed_in_as(client, "officer")
    _create(client)
    user = db.session.query(User).filter_by(email="ada.okafor@example.org").one()
    create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    page = client.get(f"/officers/citizens/{user.id}").get_data(as_text=True)
    assert "You cannot see what the citizen keeps in their account" in page
    assert TENANCY["tenancy_reference"] not in page and TENANCY["landlord"] not in page
