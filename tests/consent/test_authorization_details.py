"""RFC 9396 Rich Authorization Requests at /authorize: ``authorization_details`` of type ``logbook_vault``
is read, checked, shown on the consent page, recorded in the grant, and returned with the tokens."""

from __future__ import annotations

import json

from joserfc import jwt
from joserfc.jwk import KeySet

from consent import services
from tests.consent.test_oauth_consent import consent_page, follow_to_code, landlord_rp, submit, vault_read
from tests.oauth.helpers import authorize, exchange, redirect_params, refresh, signed_in_user

TENANCY_AND_MONEY = [{"type": "logbook_vault", "modules": ["tenancy", "money"], "actions": ["read"]}]


def details(value: object) -> str:
    return json.dumps(value)


def test_discovery_lists_the_logbook_vault_type(client, app):
    """RFC 9396 section 10: authorization_details_types_supported."""
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["authorization_details_types_supported"] == ["logbook_vault"]


def test_malformed_json_is_invalid_authorization_details_with_iss(client, app):
    """RFC 9396 section 5: invalid_authorization_details, sent to the client's redirect URI (with RFC
    9207's iss and the state)."""
    signed_in_user(client)
    params = redirect_params(authorize(client, landlord_rp(), scope="openid", authorization_details="[{type:"))
    assert params["error"] == "invalid_authorization_details"
    assert params["iss"] == "http://localhost" and params["state"] == "state-123"


def test_unknown_type_is_invalid_authorization_details(client, app):
    """RFC 9396 section 5: "The AS MUST refuse to process any unknown authorization details type"."""
    signed_in_user(client)
    asked = details([{"type": "payment_initiation", "instructedAmount": {"amount": "1"}}])
    params = redirect_params(authorize(client, landlord_rp(), scope="openid", authorization_details=asked))
    assert params["error"] == "invalid_authorization_details"
    assert "logbook_vault" in params["error_description"]


def test_entry_not_conforming_to_the_type_is_refused(client, app):
    """RFC 9396 section 5: unknown fields and invalid values are refused, not ignored."""
    signed_in_user(client)
    rp = landlord_rp()
    for entry in (
        {"type": "logbook_vault", "modules": ["tenancy"], "actions": ["delete"]},
        {"type": "logbook_vault", "modules": ["tenancy"], "locations": ["https://elsewhere.example"]},
        {"type": "logbook_vault", "modules": []},
        {"type": "logbook_vault", "modules": ["tenancy"], "duration_days": 4000},
    ):
        params = redirect_params(authorize(client, rp, scope="openid", authorization_details=details([entry])))
        assert params["error"] == "invalid_authorization_details", entry


def test_error_description_never_echoes_the_clients_text(client, app):
    """RFC 6749 section 4.1.2.1: error_description is limited to printable ASCII without quotes or
    backslashes, so what the client sent is not copied into it."""
    signed_in_user(client)
    rp = landlord_rp()
    for entry in (
        {"type": "logbook_vault", "modules": ['te"nancy\\é']},
        {"type": "logbook_vault", "modules": ["tenancy"], 'no"te\\': 1},
    ):
        params = redirect_params(authorize(client, rp, scope="openid", authorization_details=details([entry])))
        assert params["error"] == "invalid_authorization_details"
        assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in params["error_description"]), params


def test_module_the_client_is_not_registered_for_is_refused(client, app):
    signed_in_user(client)
    asked = details([{"type": "logbook_vault", "modules": ["health"]}])
    params = redirect_params(authorize(client, landlord_rp(), scope="openid", authorization_details=asked))
    assert params["error"] == "invalid_authorization_details"
    assert "health" in params["error_description"]


def test_not_an_array_is_refused_before_sign_in(client, app):
    """The request is checked before anyone is asked to sign in."""
    asked = details({"type": "logbook_vault", "modules": ["tenancy"]})
    params = redirect_params(authorize(client, landlord_rp(), scope="openid", authorization_details=asked))
    assert params["error"] == "invalid_authorization_details"


def test_consent_page_shows_the_modules_and_the_proposed_duration(client, app):
    signed_in_user(client)
    asked = [{**TENANCY_AND_MONEY[0], "duration_days": 30}]
    page = consent_page(client, landlord_rp(), scope="openid", authorization_details=details(asked))
    assert "Your tenancy – they can see it" in page and "Your money – they can see it" in page
    assert "asked for 1 month" in page


def test_consent_creates_a_grant_for_the_ticked_modules(client, app):
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp, scope="openid", authorization_details=details(TENANCY_AND_MONEY))
    params = follow_to_code(client, submit(client, page, ["vault:tenancy:read"]))
    assert "code" in params
    grant = services.live_grant(user.id, rp.client_id)
    assert grant.allows("tenancy", "read") and not grant.allows("money", "read")


def test_duration_proposed_in_authorization_details_bounds_the_grant(client, app):
    user = signed_in_user(client)
    rp = landlord_rp()
    asked = details([{**TENANCY_AND_MONEY[0], "duration_days": 30}])
    submit(client, consent_page(client, rp, scope="openid", authorization_details=asked), ["vault:tenancy:read"])
    grant = services.live_grant(user.id, rp.client_id)
    assert round((grant.expires_at - grant.created_at).total_seconds() / 86400) == 30  # not the default 90


def granted_tokens(http, rp, ticked):
    page = consent_page(http, rp, scope="openid", authorization_details=details(TENANCY_AND_MONEY))
    params = follow_to_code(http, submit(http, page, ticked))
    response = exchange(http, rp, params["code"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_token_response_returns_the_granted_authorization_details(client, app):
    """RFC 9396 section 7: the token response carries the authorization details as granted: here only
    tenancy, as the citizen unticked money."""
    signed_in_user(client)
    tokens = granted_tokens(client, landlord_rp(), ["vault:tenancy:read"])
    assert tokens["authorization_details"] == [{"type": "logbook_vault", "modules": ["tenancy"], "actions": ["read"]}]
    assert "vault:tenancy:read" in tokens["scope"].split() and "vault:money:read" not in tokens["scope"]


def test_token_from_authorization_details_reads_the_granted_module_only(client, app):
    signed_in_user(client)
    tokens = granted_tokens(client, landlord_rp(), ["vault:tenancy:read"])
    assert vault_read(client, tokens["access_token"], "tenancy").status_code == 200
    assert vault_read(client, tokens["access_token"], "money").status_code == 403


def test_introspection_returns_the_granted_authorization_details(client, app):
    """RFC 9396 section 9.2: the introspection response carries the token's authorization details."""
    signed_in_user(client)
    rp = landlord_rp()
    tokens = granted_tokens(client, rp, ["vault:tenancy:read", "vault:money:read"])
    info = client.post("/oauth2/introspect", data={"token": tokens["access_token"]}, auth=rp.basic).get_json()
    assert info["active"] is True
    assert info["authorization_details"] == [
        {"type": "logbook_vault", "modules": ["money", "tenancy"], "actions": ["read"]}
    ]


def test_already_granted_details_skip_the_consent_page(client, app):
    """Consent as "what is still missing": asking again for what was granted goes straight to a code."""
    signed_in_user(client)
    rp = landlord_rp()
    granted_tokens(client, rp, ["vault:tenancy:read"])
    asked = details([{"type": "logbook_vault", "modules": ["tenancy"]}])
    assert "code" in redirect_params(authorize(client, rp, scope="openid", authorization_details=asked))


def test_prompt_none_with_details_not_yet_granted_is_consent_required(client, app):
    """OIDC Core section 3.1.2.6: consent_required when prompt=none and the modules were never granted."""
    signed_in_user(client)
    response = authorize(
        client, landlord_rp(), scope="openid", authorization_details=details(TENANCY_AND_MONEY), prompt="none"
    )
    params = redirect_params(response)
    assert params["error"] == "consent_required"


def access_token_claims(http, token):
    """The access token's claims, its signature checked against the published JWKS."""
    keys = KeySet.import_key_set(http.get("/jwks.json").get_json())
    return jwt.decode(token, keys).claims


def test_the_jwt_access_token_carries_the_granted_authorization_details(client, app):
    """RFC 9396 section 9.1: "the authorization details [...] are contained in the JWT access token as a
    top-level claim named authorization_details": here only tenancy, as the citizen unticked money."""
    signed_in_user(client)
    tokens = granted_tokens(client, landlord_rp(), ["vault:tenancy:read"])
    claims = access_token_claims(client, tokens["access_token"])
    assert claims["authorization_details"] == tokens["authorization_details"]
    assert claims["authorization_details"] == [{"type": "logbook_vault", "modules": ["tenancy"], "actions": ["read"]}]


def test_a_refreshed_access_token_carries_them_too(client, app):
    signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp, scope="openid offline_access", authorization_details=details(TENANCY_AND_MONEY))
    params = follow_to_code(client, submit(client, page, ["vault:tenancy:read", "vault:money:read", "offline_access"]))
    tokens = exchange(client, rp, params["code"]).get_json()
    refreshed = refresh(client, rp, tokens["refresh_token"]).get_json()
    claims = access_token_claims(client, refreshed["access_token"])
    assert claims["authorization_details"] == [
        {"type": "logbook_vault", "modules": ["money", "tenancy"], "actions": ["read"]}
    ]


def test_an_access_token_without_vault_access_has_no_authorization_details(client, app):
    signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp, scope="openid", authorization_details=details(TENANCY_AND_MONEY))
    params = follow_to_code(client, submit(client, page, []))
    tokens = exchange(client, rp, params["code"]).get_json()
    assert "authorization_details" not in access_token_claims(client, tokens["access_token"])
