"""Consent given with an officer alongside: inside a live assisted window the citizen answers an organisation's
access request, or shares modules with a service, and the grant records that it was given with help.

DESIGN.md: "A grant: ... how it was given (OAuth consent screen, approved access request, assisted). Every change
issues a consent receipt". Issue 6: "during that time actions carry both identities ... and are shown to the
citizen afterwards"; officers "never see vault contents".
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent.models import METHOD_ASSISTED, AccessRequest, Grant, Receipt
from consent.receipts import verify_receipt
from consent.services import ConsentDecision, InvalidConsent, record_consent
from idp.audit import AuditEvent
from idp.extensions import db
from idp.officers.models import AssistedSession
from tests.builders import create_user
from tests.consent.helpers import landlord_client
from tests.officers.helpers import signed_in_as
from tests.web_helpers import csrf_token, messages, post_form, sign_in
from vault import services as vault
from vault.services import Provenance

EMAIL = "ada@example.org"
TENANCY_SECRET = "RH-99876"  # a value in the citizen's vault that no officer page may show
AGREED = {"agreed": "y"}


@pytest.fixture
def people(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """A signed-in citizen with tenancy data, a landlord's client, and an officer acting alongside them."""
    user = create_user(email=EMAIL, given_name="Ada", family_name="Okafor")
    vault.create_record(user.id, "tenancy", _tenancy(), Provenance.citizen())
    citizen = app.test_client()
    sign_in(citizen, EMAIL)
    officer = signed_in_as(client, "officer")
    page = post_form(citizen, "/account/help-code", {}).get_data(as_text=True)
    code = re.search(r'id="help-code">([A-Z0-9-]+)<', page).group(1)  # type: ignore[union-attr]
    started = post_form(client, f"/officers/citizens/{user.id}/assist", {"code": code}, f"/officers/citizens/{user.id}")
    assert started.status_code == 302
    return {"user": user, "citizen": citizen, "officer": officer, "landlord": landlord_client()}


def _tenancy() -> dict[str, Any]:
    return {
        "kind": "tenancy",
        "tenancy_reference": TENANCY_SECRET,
        "property_address": "Flat 2, 9 Mill Lane",
        "start_date": "2023-05-01",
        "rent_amount": 500,
        "rent_frequency": "monthly",
        "landlord": "Riverside",
    }


def _ask(client: FlaskClient, rp: Any, user: Any) -> AccessRequest:
    """The landlord asks by API (client credentials) for the citizen's tenancy and money."""
    from idp.oauth2.access_tokens import issue_access_token
    from idp.oauth2.subjects import subject_for

    token = issue_access_token(rp.client_id, rp.client_id, {"access_requests"}).token
    body = {"subject": subject_for(user, rp), "modules": {"tenancy": ["read"], "money": ["read"]}}
    response = client.post("/api/v1/access-requests", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    return db.session.get_one(AccessRequest, response.get_json()["id"])


def _answer(client: FlaskClient, user: Any, request: AccessRequest, data: dict[str, Any]) -> Any:
    url = f"/officers/citizens/{user.id}/requests/{request.id}"
    return post_form(client, url, data)


def _share(client: FlaskClient, user: Any, rp: Any, data: dict[str, Any]) -> Any:
    return post_form(client, f"/officers/citizens/{user.id}/share/{rp.client_id}", data)


def _window() -> AssistedSession:
    return db.session.query(AssistedSession).one()


def _yes(scopes: list[str]) -> dict[str, Any]:
    return {"decision": "approve", "scopes": scopes, **AGREED}


def _given(client: FlaskClient, people: dict[str, Any]) -> Grant:
    response = _share(
        client, people["user"], people["landlord"], {"scopes": ["vault:tenancy:read"], "days": "30", **AGREED}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return db.session.query(Grant).one()


# -- answering an access request ---------------------------------------------------------------------
def test_the_citizen_approves_a_pending_request_with_the_officer_and_the_grant_says_assisted(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    user, officer = people["user"], people["officer"]
    request = _ask(client, people["landlord"], user)
    assert _answer(client, user, request, _yes(["vault:tenancy:read"])).status_code == 302
    grant = db.session.query(Grant).one()
    assert (grant.method, grant.assisted_by, grant.assisted_session_id) == (METHOD_ASSISTED, officer.id, _window().id)
    assert grant.granted == {"vault:tenancy:read"}  # money was unticked with the citizen
    assert db.session.get(AccessRequest, request.id).status == "approved"


def test_the_citizen_declines_with_the_officer_and_nothing_is_shared(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    user = people["user"]
    request = _ask(client, people["landlord"], user)
    assert _answer(client, user, request, {"decision": "decline"}).status_code == 302
    assert db.session.get(AccessRequest, request.id).status == "declined"
    assert db.session.query(Grant).count() == 0
    row = db.session.query(AuditEvent).filter_by(action="access_request.declined").one()
    assert row.assisted_session_id == _window().id


def test_the_officer_sees_the_pending_request_on_the_citizens_page(client: FlaskClient, people: dict[str, Any]) -> None:
    user = people["user"]
    request = _ask(client, people["landlord"], user)
    page = client.get(f"/officers/citizens/{user.id}").get_data(as_text=True)
    assert f"/officers/citizens/{user.id}/requests/{request.id}" in page


def test_an_answer_needs_the_officer_to_confirm_the_citizen_agrees(client: FlaskClient, people: dict[str, Any]) -> None:
    user = people["user"]
    request = _ask(client, people["landlord"], user)
    response = _answer(client, user, request, {"decision": "approve", "scopes": ["vault:tenancy:read"]})
    assert response.status_code == 400
    assert "agrees" in response.get_data(as_text=True)
    assert db.session.get(AccessRequest, request.id).status == "pending"


def test_without_a_live_window_the_officer_cannot_answer_for_the_citizen(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    """The citizen ends the window; the officer's answer is refused (403) and the request stays open."""
    user = people["user"]
    request = _ask(client, people["landlord"], user)
    url = f"/officers/citizens/{user.id}/requests/{request.id}"
    token = csrf_token(client, url)  # the page was open while the citizen was there
    post_form(people["citizen"], "/account/help-code/stop", {}, page_url="/account/help-code")
    assert client.get(url).status_code == 403
    assert client.post(url, data={**_yes(["vault:tenancy:read"]), "csrf_token": token}).status_code == 403
    assert db.session.get(AccessRequest, request.id).status == "pending"


# -- sharing with a service --------------------------------------------------------------------------
def test_the_citizen_shares_chosen_modules_with_a_service_with_the_officer(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    grant = _given(client, people)
    assert (grant.client_id, grant.method, grant.assisted_by) == (
        people["landlord"].client_id,
        METHOD_ASSISTED,
        people["officer"].id,
    )
    assert grant.granted == {"vault:tenancy:read"}
    assert 29 <= (grant.expires_at - grant.created_at).days <= 30


def test_sharing_offers_only_what_the_service_registered_for(client: FlaskClient, people: dict[str, Any]) -> None:
    response = _share(
        client, people["user"], people["landlord"], {"scopes": ["vault:health:read"], "days": "30", **AGREED}
    )
    assert response.status_code == 400
    assert db.session.query(Grant).count() == 0


def test_sharing_needs_the_officer_to_confirm_the_citizen_agrees(client: FlaskClient, people: dict[str, Any]) -> None:
    response = _share(client, people["user"], people["landlord"], {"scopes": ["vault:tenancy:read"], "days": "30"})
    assert response.status_code == 400
    assert db.session.query(Grant).count() == 0


def test_sharing_without_a_live_window_is_refused(app: Flask, people: dict[str, Any]) -> None:
    """Another officer, with no window on this citizen, cannot share their information."""
    other = app.test_client()
    signed_in_as(other, "officer", email="other.officer@council.example.org")
    url = f"/officers/citizens/{people['user'].id}/share/{people['landlord'].client_id}"
    assert other.get(url).status_code == 403
    assert db.session.query(Grant).count() == 0


def test_a_consent_decision_marked_assisted_must_name_its_officer(people: dict[str, Any]) -> None:
    decision = ConsentDecision(granted=frozenset({"vault:tenancy:read"}), method=METHOD_ASSISTED)
    with pytest.raises(InvalidConsent):
        record_consent(people["user"], people["landlord"], decision)


# -- what the citizen and the trail show -------------------------------------------------------------
def test_the_consent_receipt_says_assisted_and_names_the_officer(client: FlaskClient, people: dict[str, Any]) -> None:
    grant = _given(client, people)
    receipt = db.session.query(Receipt).filter_by(grant_id=grant.id).one()
    downloaded = people["citizen"].get(f"/sharing/receipts/{receipt.id}").get_data(as_text=True)
    body = verify_receipt(downloaded, client.get("/jwks.json").get_json())
    assert body["collectionMethod"] == "assisted"
    assert body["assistedBy"]["sub"] == people["officer"].id
    assert body["assistedBy"]["name"] == "Sam Officer"
    assert body["assistedBy"]["assistedSessionId"] == _window().id


def test_a_grant_changed_with_help_gets_a_receipt_saying_so(client: FlaskClient, people: dict[str, Any]) -> None:
    """The citizen already shared through the consent screen; sharing more at the counter changes that grant."""
    earlier = record_consent(people["user"], people["landlord"], ConsentDecision(granted=frozenset({"openid"})))
    assert earlier.method == "oauth_consent" and earlier.assisting_officer is None
    grant = _given(client, people)
    assert grant.id == earlier.id and grant.method == METHOD_ASSISTED
    latest = db.session.query(Receipt).filter_by(grant_id=grant.id, event="changed").one()
    body = verify_receipt(latest.jws, client.get("/jwks.json").get_json())
    assert (body["collectionMethod"], body["assistedBy"]["name"]) == ("assisted", "Sam Officer")


def test_the_sharing_dashboard_says_who_helped_and_when(client: FlaskClient, people: dict[str, Any]) -> None:
    grant = _given(client, people)
    page = people["citizen"].get("/sharing").get_data(as_text=True)
    assert f"Given with help from Sam Officer at {grant.assisted_at.strftime('%H:%M on %-d %B %Y')}" in page


def test_the_citizens_activity_page_shows_the_officers_help(client: FlaskClient, people: dict[str, Any]) -> None:
    grant = _given(client, people)
    page = people["citizen"].get("/account/activity").get_data(as_text=True)
    assert f"Helped you share information with {grant.client.organisation.name}" in page
    assert "Sam Officer" in page


def test_the_audit_trail_has_the_officers_row_naming_the_session(client: FlaskClient, people: dict[str, Any]) -> None:
    grant = _given(client, people)
    row = db.session.query(AuditEvent).filter_by(action="grant.given").one()
    assert (row.actor_id, row.subject_user_id, row.target) == (people["officer"].id, people["user"].id, grant.client_id)
    assert row.assisted_session_id == _window().id
    assert json.loads(row.details)["grant"] == grant.id


def test_the_citizen_is_told_in_writing(client: FlaskClient, people: dict[str, Any], outbox: Any) -> None:
    grant = _given(client, people)
    subjects = [str(message["Subject"]).strip() for message in messages(outbox)]
    assert f"You are now sharing information with {grant.client.organisation.name}" in subjects


def test_officer_pages_never_show_vault_contents(client: FlaskClient, people: dict[str, Any]) -> None:
    user = people["user"]
    request = _ask(client, people["landlord"], user)
    _given(client, people)
    base = f"/officers/citizens/{user.id}"
    for url in (base, f"{base}/requests/{request.id}", f"{base}/share", f"{base}/share/{people['landlord'].client_id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert TENANCY_SECRET not in page.get_data(as_text=True), url
