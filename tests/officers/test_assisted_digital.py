"""Assisted digital: a citizen lets an officer act alongside them for a bounded time with a one-time code."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from consent.models import Grant
from consent.services import ConsentDecision, record_consent
from idp.accounts.models import User
from idp.audit import AuditEvent
from idp.database import utcnow
from idp.extensions import db
from idp.oauth2.access_tokens import verify_access_token
from idp.officers import assisted
from idp.officers.models import AssistedSession
from tests.builders import create_client, create_user
from tests.officers.helpers import signed_in_as
from tests.web_helpers import post_form, sign_in

EMAIL = "ada@example.org"


def _help_code(citizen: FlaskClient) -> str:
    """The citizen asks for a code on their own device (a page in their account)."""
    page = post_form(citizen, "/account/help-code", {}).get_data(as_text=True)
    match = re.search(r'id="help-code">([A-Z0-9-]+)<', page)
    assert match, "no help code on the page"
    return match.group(1)


def _start(officer: FlaskClient, user: User, code: str):  # type: ignore[no-untyped-def]
    return post_form(officer, f"/officers/citizens/{user.id}/assist", {"code": code}, f"/officers/citizens/{user.id}")


def _citizen_client(app: Flask) -> tuple[User, FlaskClient]:
    user = create_user(email=EMAIL, given_name="Ada", family_name="Okafor")
    citizen = app.test_client()
    sign_in(citizen, EMAIL)
    return user, citizen


def test_the_code_from_the_citizens_device_opens_a_window(app: Flask, client: FlaskClient) -> None:
    user, citizen = _citizen_client(app)
    officer = signed_in_as(client, "officer")
    response = _start(client, user, _help_code(citizen).lower())
    assert response.status_code == 302
    window = db.session.query(AssistedSession).one()
    assert (window.user_id, window.officer_id, window.code_source) == (user.id, officer.id, "device")
    assert window.expires_at - window.started_at == assisted.DEFAULT_WINDOW


def test_a_wrong_code_opens_nothing(app: Flask, client: FlaskClient) -> None:
    user, citizen = _citizen_client(app)
    _help_code(citizen)
    signed_in_as(client, "officer")
    response = _start(client, user, "ZZZZ-ZZZZ")
    assert response.status_code == 400
    assert "The code is not right" in response.get_data(as_text=True)
    assert db.session.query(AssistedSession).count() == 0


def test_a_code_works_once(app: Flask, client: FlaskClient) -> None:
    user, citizen = _citizen_client(app)
    code = _help_code(citizen)
    signed_in_as(client, "officer")
    _start(client, user, code)
    assert _start(client, user, code).status_code == 400


def test_the_letter_code_opens_a_window_too(app: Flask, client: FlaskClient) -> None:
    """... by reading out a one-time code shown on their own device or their letter."""
    signed_in_as(client, "officer")
    data = {"given_name": "Ada", "family_name": "Okafor", "birthdate": "14/02/1961", "postcode": "LE1 5WS"}
    page = post_form(client, "/officers/accounts/new", {**data, "contact": EMAIL, "delivery": "letter"})
    code = re.search(r'id="help-code">([A-Z0-9-]+)<', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    user = db.session.query(User).filter_by(email=EMAIL).one()
    assert _start(client, user, code).status_code == 302
    assert db.session.query(AssistedSession).one().code_source == "letter"


def test_revoking_a_grant_needs_a_live_window(app: Flask, client: FlaskClient) -> None:
    user, _ = _citizen_client(app)
    landlord, _ = create_client("Riverside Homes portal", scope="openid vault:tenancy:read")
    grant = record_consent(user, landlord, ConsentDecision(granted=frozenset({"openid", "vault:tenancy:read"})))
    signed_in_as(client, "officer")
    url = f"/officers/citizens/{user.id}/grants/{grant.id}/revoke"
    response = post_form(client, url, {}, page_url="/officers")
    assert response.status_code == 403
    assert db.session.get(Grant, grant.id).revoked_at is None


def test_actions_in_the_window_carry_both_identities(app: Flask, client: FlaskClient) -> None:
    """During that window actions carry both identities (in page actions the audit row carries both)."""
    user, citizen = _citizen_client(app)
    landlord, _ = create_client("Riverside Homes portal", scope="openid vault:tenancy:read")
    grant = record_consent(user, landlord, ConsentDecision(granted=frozenset({"openid", "vault:tenancy:read"})))
    officer = signed_in_as(client, "officer")
    _start(client, user, _help_code(citizen))
    page = f"/officers/citizens/{user.id}"
    assert "Riverside Homes portal" in client.get(page).get_data(as_text=True)
    response = post_form(client, f"{page}/grants/{grant.id}/revoke", {}, page_url=page)
    assert response.status_code == 302
    assert db.session.get(Grant, grant.id).revoked_by == f"officer:{officer.id}"
    row = db.session.query(AuditEvent).filter_by(action="grant.revoked").one()
    window = db.session.query(AssistedSession).one()
    assert (row.actor_id, row.subject_user_id, row.assisted_session_id) == (officer.id, user.id, window.id)


def test_tokens_the_officer_produces_carry_an_act_claim(app: Flask, client: FlaskClient) -> None:
    """RFC 8693-style `act` claim {"sub": <officer>} on tokens the officer's actions produce."""
    user, citizen = _citizen_client(app)
    service, _ = create_client(
        "Council customer service", organisation_type="council_service", scope="openid vault:contact:read"
    )
    record_consent(user, service, ConsentDecision(granted=frozenset({"openid", "vault:contact:read"})))
    officer = signed_in_as(client, "officer")
    _start(client, user, _help_code(citizen))
    window = db.session.query(AssistedSession).one()
    issued = assisted.assisted_access_token(officer, window, service)
    claims = verify_access_token(issued.token, app.config["ISSUER"])
    assert claims.raw["act"] == {"sub": officer.id}
    assert claims.user_id == user.id


def test_the_window_expires(app: Flask, client: FlaskClient) -> None:
    """The window expires: afterwards the officer can no longer act alongside the citizen."""
    user, citizen = _citizen_client(app)
    landlord, _ = create_client("Riverside Homes portal", scope="openid vault:tenancy:read")
    grant = record_consent(user, landlord, ConsentDecision(granted=frozenset({"openid", "vault:tenancy:read"})))
    signed_in_as(client, "officer")
    _start(client, user, _help_code(citizen))
    window = db.session.query(AssistedSession).one()
    window.expires_at = utcnow() - timedelta(seconds=1)  # the bounded time has passed
    db.session.commit()
    page = f"/officers/citizens/{user.id}"
    assert "Riverside Homes portal" not in client.get(page).get_data(as_text=True)
    response = post_form(client, f"{page}/grants/{grant.id}/revoke", {}, page_url=page)
    assert response.status_code == 403
    assert db.session.get(Grant, grant.id).revoked_at is None


def test_an_expired_window_issues_no_token(app: Flask, client: FlaskClient) -> None:
    user, citizen = _citizen_client(app)
    service, _ = create_client(
        "Council customer service", organisation_type="council_service", scope="openid vault:contact:read"
    )
    record_consent(user, service, ConsentDecision(granted=frozenset({"openid", "vault:contact:read"})))
    officer = signed_in_as(client, "officer")
    _start(client, user, _help_code(citizen))
    window = db.session.query(AssistedSession).one()
    window.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    try:
        assisted.assisted_access_token(officer, window, service)
    except assisted.AssistedSessionRequired:
        return
    raise AssertionError("a token was issued after the window closed")


def test_the_citizen_can_end_the_window(app: Flask, client: FlaskClient) -> None:
    user, citizen = _citizen_client(app)
    signed_in_as(client, "officer")
    _start(client, user, _help_code(citizen))
    post_form(citizen, "/account/help-code/stop", {}, page_url="/account/help-code")
    assert not db.session.query(AssistedSession).one().is_live()


def test_the_citizen_sees_what_the_officer_did_afterwards(app: Flask, client: FlaskClient) -> None:
    """... and are shown to the citizen afterwards; the citizen sees actions taken on their account."""
    user, citizen = _citizen_client(app)
    signed_in_as(client, "officer")
    _start(client, user, _help_code(citizen))
    post_form(client, f"/officers/citizens/{user.id}/identity-check", {
        "documents": ["passport"], "given_name": "Ada", "family_name": "Okafor",
        "birthdate": "14/02/1961", "postcode": "LE1 5WS",
    })  # fmt: skip
    page = citizen.get("/account/activity").get_data(as_text=True)
    assert "Started helping you, with the code you read out" in page
    assert "Checked your identity documents in person" in page
    assert "Sam Officer" in page
    assert "Yes, with your help code" in page
