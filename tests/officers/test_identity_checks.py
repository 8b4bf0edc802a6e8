"""Identity verification: an officer records an in-person check (documents seen, by whom, when)."""

from __future__ import annotations

from flask.testing import FlaskClient

from idp.audit import AuditEvent
from idp.authn.levels import IDENTITY_SELF_ASSERTED, IDENTITY_VERIFIED_IN_PERSON
from idp.extensions import db
from idp.officers.identity import identity_level, verified_claims
from idp.officers.models import IdentityCheck
from tests.builders import create_user
from tests.officers.helpers import signed_in_as
from tests.web_helpers import post_form

SEEN = {
    "documents": ["passport", "utility_bill"],
    "given_name": "Ada",
    "family_name": "Okafor",
    "birthdate": "14/02/1961",
    "postcode": "LE1 5WS",
}


def _check(client: FlaskClient, user_id: str, **changes: object):  # type: ignore[no-untyped-def]
    return post_form(client, f"/officers/citizens/{user_id}/identity-check", {**SEEN, **changes})


def test_a_recorded_check_raises_the_identity_level_to_verified_in_person(client: FlaskClient) -> None:
    citizen = create_user(email="ada@example.org")
    signed_in_as(client, "officer")
    assert identity_level(citizen.id) == IDENTITY_SELF_ASSERTED.value
    assert _check(client, citizen.id).status_code == 302
    assert identity_level(citizen.id) == IDENTITY_VERIFIED_IN_PERSON.value


def test_the_check_records_documents_officer_and_time(client: FlaskClient) -> None:
    citizen = create_user(email="ada@example.org")
    officer = signed_in_as(client, "officer")
    _check(client, citizen.id)
    check = db.session.query(IdentityCheck).one()
    assert check.documents == ["passport", "utility_bill"]
    assert (check.officer_id, check.officer_name) == (officer.id, officer.display_name)
    assert check.checked_at is not None


def test_verified_claims_name_trust_framework_evidence_time_and_verifier(client: FlaskClient) -> None:
    """Relying parties receive OIDC for Identity Assurance verified_claims (trust framework, evidence
    type, time, verifier)."""
    citizen = create_user(email="ada@example.org")
    signed_in_as(client, "officer")
    _check(client, citizen.id)
    claims = verified_claims(citizen.id)
    assert claims is not None
    verification = claims["verification"]
    assert verification["trust_framework"] == "uk_tfida"
    assert verification["time"].endswith("Z")
    passport = verification["evidence"][0]
    assert passport["type"] == "document" and passport["document_details"]["type"] == "passport"
    assert passport["check_details"][0]["check_method"] == "vpip"
    assert passport["verifier"]["organization"]
    assert claims["claims"] == {
        "given_name": "Ada",
        "family_name": "Okafor",
        "birthdate": "1961-02-14",
        "address": {"postal_code": "LE1 5WS"},
    }


def test_no_verified_claims_without_a_check(app: object) -> None:
    citizen = create_user(email="ada@example.org")
    assert verified_claims(citizen.id) is None


def test_a_check_without_a_photographic_document_is_refused(client: FlaskClient) -> None:
    citizen = create_user(email="ada@example.org")
    signed_in_as(client, "officer")
    response = _check(client, citizen.id, documents=["utility_bill", "bank_statement"])
    assert response.status_code == 400
    assert "Select at least one photographic document" in response.get_data(as_text=True)
    assert identity_level(citizen.id) == IDENTITY_SELF_ASSERTED.value


def test_a_check_is_audited_with_the_officer(client: FlaskClient) -> None:
    citizen = create_user(email="ada@example.org")
    officer = signed_in_as(client, "officer")
    _check(client, citizen.id)
    event = db.session.query(AuditEvent).filter_by(action="identity.checked").one()
    assert (event.actor_id, event.subject_user_id) == (officer.id, citizen.id)
    assert event.detail["documents"] == ["passport", "utility_bill"]


def test_a_checked_citizen_is_found_by_the_details_on_the_documents(client: FlaskClient) -> None:
    citizen = create_user(email="ada@example.org")
    signed_in_as(client, "officer")
    _check(client, citizen.id)
    details = {"d-given_name": "Ada", "d-family_name": "Okafor", "d-birthdate": "14/02/1961", "d-postcode": "LE1 5WS"}
    response = post_form(client, "/officers/search/details", details, page_url="/officers")
    assert response.headers["Location"] == f"/officers/citizens/{citizen.id}"
