"""OpenID Connect for Identity Assurance 1.0: verified_claims reach a relying party that asks for them
(scope ``identity_assurance``, or the ``claims`` parameter) only after an officer's in-person check and
with the citizen's consent for that relying party."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.authn.levels import IDENTITY_SELF_ASSERTED, IDENTITY_VERIFIED_IN_PERSON
from idp.extensions import db
from idp.officers.citizens import Details
from idp.officers.identity import record_check
from tests.oauth.forge import claims_of
from tests.oauth.helpers import RP, authorize, exchange, make_rp, redirect_params, refresh, signed_in_user
from tests.officers.helpers import create_staff
from tests.web_helpers import post_form

SCOPE = "openid profile identity_assurance"


def _officer_checks(user: Any) -> None:
    officer = create_staff("officer")
    record_check(officer, user, Details("Ada", "Lovelace", date(1961, 2, 14), "LE1 5WS"), ["passport"])
    db.session.commit()


def _consent_page(client: FlaskClient, rp: RP, **params: Any) -> str:
    response = authorize(client, rp, **{"scope": SCOPE, **params})
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data(as_text=True)


def _decide(client: FlaskClient, page: str, ticked: list[str]) -> dict[str, Any]:
    fields = dict(re.findall(r'name="(csrf_token|request_id)" value="([^"]+)"', page))
    decided = client.post("/authorize/consent", data={**fields, "decision": "allow", "scopes": ticked})
    rp_code = redirect_params(client.get(decided.headers["Location"]))["code"]
    return {"code": rp_code}


def _tokens(client: FlaskClient, rp: RP, ticked: list[str], **params: Any) -> dict[str, Any]:
    code = _decide(client, _consent_page(client, rp, **params), ticked)["code"]
    response = exchange(client, rp, code)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def _userinfo(client: FlaskClient, access_token: str) -> dict[str, Any]:
    return client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).get_json()  # type: ignore[no-any-return]


def test_discovery_publishes_identity_assurance_metadata(client: FlaskClient) -> None:
    """OIDC4IDA 1.0 section 10: the OP publishes verified_claims_supported and what they may hold."""
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["verified_claims_supported"] is True
    assert metadata["trust_frameworks_supported"] == ["uk_tfida"]
    assert metadata["evidence_supported"] == ["document"] and "passport" in metadata["documents_supported"]
    assert "birthdate" in metadata["claims_in_verified_claims_supported"]
    assert "identity_assurance" in metadata["scopes_supported"]


def test_the_consent_screen_asks_about_the_identity_check_even_for_a_first_party_service(
    app: Flask, client: FlaskClient
) -> None:
    """Issue 5: verified_claims only with the citizen's consent (first-party clients included)."""
    rp = make_rp(organisation_type="council_service", first_party=True, scope=SCOPE)
    signed_in_user(client)
    page = _consent_page(client, rp)
    assert 'value="identity_assurance"' in page and "council officer has checked your identity" in page


def test_no_verified_claims_before_an_officer_check(app: Flask, client: FlaskClient) -> None:
    """Issue 5: verified_claims present only after an officer check."""
    rp = make_rp(organisation_type="council_service", first_party=True, scope=SCOPE)
    signed_in_user(client)
    tokens = _tokens(client, rp, ["identity_assurance"])
    assert "verified_claims" not in claims_of(tokens["id_token"])
    assert "verified_claims" not in _userinfo(client, tokens["access_token"])


def test_no_verified_claims_when_the_citizen_unticks_them(app: Flask, client: FlaskClient) -> None:
    """Issue 5: verified_claims only with the citizen's consent."""
    rp = make_rp(organisation_type="council_service", first_party=True, scope=SCOPE)
    _officer_checks(signed_in_user(client))
    tokens = _tokens(client, rp, [])
    assert "verified_claims" not in claims_of(tokens["id_token"])
    assert "verified_claims" not in _userinfo(client, tokens["access_token"])


def test_verified_claims_in_the_id_token_and_userinfo_after_a_check_and_consent(
    app: Flask, client: FlaskClient
) -> None:
    """Issue 5: relying parties that ask receive verified_claims (trust framework, evidence, time, verifier)."""
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    tokens = _tokens(client, rp, ["profile", "identity_assurance"])
    for claims in (claims_of(tokens["id_token"]), _userinfo(client, tokens["access_token"])):
        verified = claims["verified_claims"]
        assert verified["verification"]["trust_framework"] == "uk_tfida"
        assert verified["verification"]["evidence"][0]["verifier"]["organization"]
        assert verified["claims"]["birthdate"] == "1961-02-14"


def test_tokens_and_introspection_carry_the_identity_level(app: Flask, client: FlaskClient) -> None:
    """Issue 5: the identity level is a claim (ID token, access token, introspection)."""
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    tokens = _tokens(client, rp, [])
    assert claims_of(tokens["id_token"])["identity_level"] == IDENTITY_VERIFIED_IN_PERSON.value
    assert claims_of(tokens["access_token"])["identity_level"] == IDENTITY_VERIFIED_IN_PERSON.value
    described = client.post("/oauth2/introspect", data={"token": tokens["access_token"]}, auth=rp.basic).get_json()
    assert described["identity_level"] == IDENTITY_VERIFIED_IN_PERSON.value


def test_a_citizen_without_a_check_is_self_asserted_in_tokens(app: Flask, client: FlaskClient) -> None:
    """Issue 5: identity levels: self-asserted until an officer has checked."""
    rp = make_rp(organisation_type="council_service", first_party=True)
    signed_in_user(client)
    code = redirect_params(authorize(client, rp, scope="openid"))["code"]
    assert (
        claims_of(exchange(client, rp, code).get_json()["id_token"])["identity_level"] == IDENTITY_SELF_ASSERTED.value
    )


# -- consent is remembered and can be withdrawn ---------------------------------------------------------
def test_the_consent_to_verified_claims_is_remembered_for_that_relying_party(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    _tokens(client, rp, ["profile", "identity_assurance"])
    again = redirect_params(authorize(client, rp, scope=SCOPE))  # no consent page the second time
    tokens = exchange(client, rp, again["code"]).get_json()
    assert claims_of(tokens["id_token"])["verified_claims"]["claims"]["family_name"] == "Lovelace"


def test_the_consent_for_one_relying_party_does_not_reach_another(app: Flask, client: FlaskClient) -> None:
    first, second = (
        make_rp(organisation_type="landlord", scope=SCOPE),
        make_rp(organisation_type="landlord", scope=SCOPE),
    )
    _officer_checks(signed_in_user(client))
    _tokens(client, first, ["profile", "identity_assurance"])
    page = _consent_page(client, second)
    assert 'value="identity_assurance"' in page


def test_withdrawing_the_consent_stops_verified_claims_and_asks_again(app: Flask, client: FlaskClient) -> None:
    """The citizen withdraws it under /sharing: the relying party's token stops working at userinfo, and the
    next authorization asks again."""
    from consent.services import live_grant

    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    user = signed_in_user(client)
    _officer_checks(user)
    tokens = _tokens(client, rp, ["profile", "identity_assurance"])
    grant = live_grant(user.id, rp.client_id)
    assert grant is not None and "identity_assurance" in grant.granted
    withdrawn = post_form(client, f"/sharing/{grant.id}/revoke", {})
    assert withdrawn.status_code == 302
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    assert 'value="identity_assurance"' in _consent_page(client, rp)


# -- the shape: IDA 1.0 verification with document evidence ------------------------------------------------
def test_the_verification_names_the_framework_time_and_document_evidence_with_method_and_verifier(
    app: Flask, client: FlaskClient
) -> None:
    """IDA: verification (trust_framework, time, evidence: type, method, verifier, time, document_details) and
    the verified claims themselves."""
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    verified = claims_of(_tokens(client, rp, ["profile", "identity_assurance"])["id_token"])["verified_claims"]
    verification = verified["verification"]
    assert verification["trust_framework"] == "uk_tfida"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", verification["time"])
    [evidence] = verification["evidence"]
    assert evidence["type"] == "document" and evidence["method"] == "pipp"
    assert evidence["verifier"]["organization"] and evidence["verifier"]["txn"]
    assert evidence["check_details"][0]["check_method"] == "vpip"
    assert evidence["document_details"]["type"] == "passport" and evidence["time"] == verification["time"]
    assert verified["claims"] == {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1961-02-14",
        "address": {"postal_code": "LE1 5WS"},
    }


# -- the claims parameter (OIDC Core 5.5, IDA "Requesting Verified Claims") -----------------------------
def _claims(target: str, names: list[str], verification: dict[str, Any] | None = None) -> str:
    request: dict[str, Any] = {"claims": {name: None for name in names}}
    if verification is not None:
        request["verification"] = verification
    return json.dumps({target: {"verified_claims": request}})


def _asked(client: FlaskClient, claims: str, scope: str = SCOPE) -> dict[str, Any]:
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    tokens = _tokens(client, rp, ["profile", "identity_assurance"], claims=claims, scope=scope)
    return {"id_token": claims_of(tokens["id_token"]), "userinfo": _userinfo(client, tokens["access_token"])}


def test_verified_claims_asked_for_the_id_token_are_not_repeated_at_userinfo(app: Flask, client: FlaskClient) -> None:
    released = _asked(client, _claims("id_token", ["given_name", "family_name"]))
    assert released["id_token"]["verified_claims"]["claims"] == {"given_name": "Ada", "family_name": "Lovelace"}
    assert "verified_claims" not in released["userinfo"]


def test_verified_claims_asked_for_userinfo_stay_out_of_the_id_token(app: Flask, client: FlaskClient) -> None:
    released = _asked(client, _claims("userinfo", ["birthdate"]))
    assert released["userinfo"]["verified_claims"]["claims"] == {"birthdate": "1961-02-14"}
    assert released["userinfo"]["verified_claims"]["verification"]["trust_framework"] == "uk_tfida"
    assert "verified_claims" not in released["id_token"]


def test_the_claims_parameter_alone_brings_the_identity_check_to_the_consent_page(
    app: Flask, client: FlaskClient
) -> None:
    """A relying party following IDA need not know our scope: the claims parameter asks for it, so the
    citizen is still asked, and the grant remembers the answer."""
    released = _asked(client, _claims("userinfo", ["given_name"]), scope="openid profile")
    assert released["userinfo"]["verified_claims"]["claims"] == {"given_name": "Ada"}


def test_a_claims_request_the_citizen_declines_releases_nothing(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    tokens = _tokens(client, rp, ["profile"], claims=_claims("id_token", ["given_name"]))
    assert "verified_claims" not in claims_of(tokens["id_token"])


def test_an_unmet_trust_framework_omits_verified_claims_without_an_error(app: Flask, client: FlaskClient) -> None:
    """IDA: the OP omits verified_claims that do not meet a value/values constraint; it never fails the request."""
    released = _asked(client, _claims("id_token", ["given_name"], {"trust_framework": {"value": "eidas"}}))
    assert "verified_claims" not in released["id_token"]


def test_a_matching_trust_framework_and_document_type_release_the_claims(app: Flask, client: FlaskClient) -> None:
    verification = {
        "trust_framework": {"values": ["eidas", "uk_tfida"]},
        "evidence": [{"type": {"value": "document"}, "document_details": {"type": {"values": ["passport"]}}}],
    }
    released = _asked(client, _claims("id_token", ["family_name"], verification))
    assert released["id_token"]["verified_claims"]["claims"] == {"family_name": "Lovelace"}


def test_evidence_of_another_document_type_omits_verified_claims(app: Flask, client: FlaskClient) -> None:
    verification = {"evidence": [{"document_details": {"type": {"value": "idcard"}}}]}
    released = _asked(client, _claims("id_token", ["family_name"], verification))
    assert "verified_claims" not in released["id_token"]


def test_a_check_older_than_the_requested_max_age_omits_verified_claims(app: Flask, client: FlaskClient) -> None:
    from idp.officers.models import IdentityCheck

    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    _officer_checks(signed_in_user(client))
    check = db.session.scalars(db.select(IdentityCheck)).one()
    check.checked_at = check.checked_at - timedelta(days=400)
    db.session.commit()
    year = {"time": {"max_age": 365 * 24 * 3600}}
    tokens = _tokens(client, rp, ["profile", "identity_assurance"], claims=_claims("id_token", ["given_name"], year))
    assert "verified_claims" not in claims_of(tokens["id_token"])


def test_only_claims_held_as_verified_are_released(app: Flask, client: FlaskClient) -> None:
    released = _asked(client, _claims("id_token", ["given_name", "nationalities"]))
    assert released["id_token"]["verified_claims"]["claims"] == {"given_name": "Ada"}


def test_verified_claims_in_a_refreshed_id_token_follow_the_same_request(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord", scope=SCOPE + " offline_access")
    _officer_checks(signed_in_user(client))
    ticked = ["profile", "identity_assurance", "offline_access"]
    tokens = _tokens(client, rp, ticked, claims=_claims("id_token", ["birthdate"]), scope=SCOPE + " offline_access")
    refreshed = refresh(client, rp, tokens["refresh_token"]).get_json()
    assert claims_of(refreshed["id_token"])["verified_claims"]["claims"] == {"birthdate": "1961-02-14"}


@pytest.mark.parametrize(
    "claims",
    [
        "not json",
        "[]",
        json.dumps({"id_token": []}),
        json.dumps({"id_token": {"verified_claims": {"claims": {}}}}),
        json.dumps({"userinfo": {"verified_claims": {"verification": {"trust_framework": None}}}}),
        json.dumps({"userinfo": {"verified_claims": {"claims": {"given_name": {"purpose": "x"}}}}}),
        json.dumps({"userinfo": {"verified_claims": {"claims": {"given_name": True}}}}),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "target-not-an-object",
        "empty-claims",
        "no-claims",
        "short-purpose",
        "bad-claim",
    ],
)
def test_a_malformed_claims_request_is_invalid_request_at_the_redirect_uri(
    app: Flask, client: FlaskClient, claims: str
) -> None:
    """OIDC Core 5.5 / IDA: an empty claims element, or a purpose outside 3-300 characters, is invalid_request."""
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    signed_in_user(client)
    answer = redirect_params(authorize(client, rp, scope=SCOPE, claims=claims))
    assert answer["error"] == "invalid_request" and answer["state"] == "state-123"


def test_discovery_says_the_claims_parameter_is_supported(client: FlaskClient) -> None:
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["claims_parameter_supported"] is True
    assert metadata["documents_methods_supported"] == ["pipp"]


def test_the_purpose_a_relying_party_gives_is_shown_beside_the_identity_check(app: Flask, client: FlaskClient) -> None:
    """IDA: "The OP MUST display this purpose in the respective user consent screen(s)"."""
    rp = make_rp(organisation_type="landlord", scope=SCOPE)
    signed_in_user(client)
    purpose = "To confirm the tenancy is in your legal name"
    claims = json.dumps({"userinfo": {"verified_claims": {"claims": {"family_name": {"purpose": purpose}}}}})
    page = _consent_page(client, rp, claims=claims)
    assert "They say they need it to: " + purpose in page
