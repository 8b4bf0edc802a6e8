"""Issue 6: "Every officer action lands in the audit log with the officer's identity". Each state-changing
staff endpoint is named here with the audit row it writes, and an officer's whole day is replayed over HTTP
to check the rows, in order, with the officer as actor and the assisted session on what happened inside it."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from consent.services import ConsentDecision, record_consent
from idp.accounts.models import User
from idp.audit import AuditEvent
from idp.extensions import db
from idp.officers import assisted
from idp.officers.models import AssistedSession
from tests.builders import create_client, create_user
from tests.officers.helpers import signed_in_as
from tests.web_helpers import post_form, sign_in

STAFF_BLUEPRINTS = ("officers", "officers_sessions", "client_admin", "auditor", "role_admin")
# Every endpoint of a staff console that accepts a form, with the action it audits and the test that shows it.
AUDITED_ENDPOINTS = {
    "officers.search_details": ("citizen.searched", "test_an_officers_day_is_audited_action_by_action"),
    "officers.search_contact": ("citizen.searched", "test_an_officers_day_is_audited_action_by_action"),
    "officers.create_account": ("account.created", "test_an_officers_day_is_audited_action_by_action"),
    "officers.reissue_activation": ("activation.reissued", "test_an_officers_day_is_audited_action_by_action"),
    "officers.identity_check": ("identity.checked", "test_an_officers_day_is_audited_action_by_action"),
    "officers.start_assist": ("assisted.started", "test_an_officers_day_is_audited_action_by_action"),
    "officers.end_assist": ("assisted.ended", "test_an_officers_day_is_audited_action_by_action"),
    "officers.revoke": ("grant.revoked", "test_an_officers_day_is_audited_action_by_action"),
    "officers_sessions.sign_out": ("sessions.ended", "test_it_is_audited_with_the_officer_as_actor_..."),
    "client_admin.new_organisation": ("organisation.created", "test_every_administrator_action_is_audited..."),
    "client_admin.new_client": ("client.created", "test_every_administrator_action_is_audited..."),
    "client_admin.edit_client": ("client.updated", "test_every_administrator_action_is_audited..."),
    "client_admin.rotate_secret": ("client.secret_rotated", "test_every_administrator_action_is_audited..."),
    "client_admin.disable_client": ("client.disabled", "test_every_administrator_action_is_audited..."),
    "role_admin.find": ("staff.looked_up", "test_looking_an_account_up_is_audited"),
    "role_admin.account": ("role.granted / role.revoked", "test_giving_a_role_..., test_removing_a_role_..."),
}


def test_every_staff_form_endpoint_is_listed_with_the_audit_row_it_writes(app: Flask) -> None:
    """A new staff action fails this test until someone decides (and tests) what it audits."""
    posting = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in STAFF_BLUEPRINTS and "POST" in (rule.methods or ())
    }
    assert posting == set(AUDITED_ENDPOINTS)


def _help_code(citizen: FlaskClient) -> str:
    page = post_form(citizen, "/account/help-code", {}).get_data(as_text=True)
    match = re.search(r'id="help-code">([A-Z0-9-]+)<', page)
    assert match, "no help code on the page"
    return match.group(1)


def _present_citizen(app: Flask) -> tuple[User, FlaskClient, str]:
    """A citizen at the counter, signed in on their phone, sharing their tenancy with a landlord."""
    user = create_user(email="rosa@example.org", given_name="Rosa", family_name="Lane")
    landlord, _ = create_client("Riverside Homes portal", scope="openid vault:tenancy:read")
    grant = record_consent(user, landlord, ConsentDecision(granted=frozenset({"openid", "vault:tenancy:read"})))
    phone = app.test_client()
    sign_in(phone, "rosa@example.org")
    return user, phone, grant.id


def _new_account_work(client: FlaskClient) -> None:
    """Create an account with a letter, send a new code by message, find it by details."""
    details = {"given_name": "Ada", "family_name": "Okafor", "birthdate": "14/02/1961", "postcode": "LE1 5WS"}
    post_form(client, "/officers/accounts/new", {**details, "contact": "ada@example.org", "delivery": "letter"})
    ada = db.session.query(User).filter_by(email="ada@example.org").one()
    page = f"/officers/citizens/{ada.id}"
    post_form(client, f"{page}/activation", {"delivery": "message"}, page_url=page)
    search = {f"d-{key}": value for key, value in details.items()}
    assert post_form(client, "/officers/search/details", search, page_url="/officers").status_code == 302


def _helping_a_present_citizen(client: FlaskClient, user: User, phone: FlaskClient, grant_id: str) -> None:
    """Find them by contact, a mistyped code, the right one, an identity check, stop a sharing, finish."""
    assert post_form(client, "/officers/search/contact", {"c-contact": user.email}, page_url="/officers").status_code
    page = f"/officers/citizens/{user.id}"
    post_form(client, f"{page}/assist", {"code": "ZZZZ-ZZZZ"}, page_url=page)
    post_form(client, f"{page}/assist", {"code": _help_code(phone)}, page_url=page)
    seen = {"documents": ["passport"], "given_name": "Rosa", "family_name": "Lane", "birthdate": "02/09/1975"}
    post_form(client, f"{page}/identity-check", {**seen, "postcode": "LE2 7AB"})
    post_form(client, f"{page}/grants/{grant_id}/revoke", {}, page_url=page)
    post_form(client, f"{page}/assist/end", {}, page_url=page)


def test_an_officers_day_is_audited_action_by_action(app: Flask, client: FlaskClient) -> None:
    user, phone, grant_id = _present_citizen(app)
    officer = signed_in_as(client, "officer")
    _new_account_work(client)
    _helping_a_present_citizen(client, user, phone, grant_id)
    rows = db.session.query(AuditEvent).filter(AuditEvent.actor_id == officer.id).order_by(AuditEvent.seq).all()
    actions = [row.action for row in rows if row.action != "citizen.viewed"]  # each page view is audited too
    assert actions == [
        "account.created",
        "activation.reissued",
        "citizen.searched",
        "citizen.searched",
        "assisted.code_refused",
        "assisted.started",
        "identity.checked",
        "grant.revoked",
        "assisted.ended",
    ]
    assert {(row.actor_role, row.actor_name) for row in rows} == {("officer", officer.display_name)}
    window = db.session.query(AssistedSession).one()
    inside = [row.action for row in rows if row.assisted_session_id == window.id and row.action != "citizen.viewed"]
    assert inside == ["assisted.started", "identity.checked", "grant.revoked", "assisted.ended"]


def test_a_token_issued_for_an_officer_is_audited(app: Flask, client: FlaskClient) -> None:
    user, phone, _ = _present_citizen(app)
    service, _ = create_client(
        "Council customer service", organisation_type="council_service", scope="openid vault:contact:read"
    )
    record_consent(user, service, ConsentDecision(granted=frozenset({"openid", "vault:contact:read"})))
    officer = signed_in_as(client, "officer")
    page = f"/officers/citizens/{user.id}"
    post_form(client, f"{page}/assist", {"code": _help_code(phone)}, page_url=page)
    window = db.session.query(AssistedSession).one()
    issued = assisted.assisted_access_token(officer, window, service)
    row = db.session.query(AuditEvent).filter_by(action="assisted.token_issued").one()
    assert (row.actor_id, row.subject_user_id, row.target) == (officer.id, user.id, service.client_id)
    assert (row.assisted_session_id, row.detail["jti"]) == (window.id, issued.jti)
