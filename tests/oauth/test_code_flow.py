"""The authorization code flow with PKCE, end to end through the test client."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oauth2.id_tokens import half_hash
from tests.oauth.helpers import authorize, exchange, get_code, make_rp, redirect_params, signed_in_user, tokens_for


def test_full_code_flow_gives_tokens_and_an_id_token_verified_against_the_jwks(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 3.1.3.7: the Client MUST validate the signature of the ID Token (keys from jwks_uri)."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    body = tokens_for(client, rp)
    assert body["token_type"] == "Bearer" and body["refresh_token"] and body["expires_in"] <= 300
    jwks = KeySet.import_key_set(client.get("/jwks.json").get_json())
    id_token = jwt.decode(body["id_token"], jwks, algorithms=["ES256"])
    claims = id_token.claims
    assert claims["iss"] == "http://localhost" and claims["aud"] == rp.client_id
    assert claims["nonce"] == "nonce-456" and claims["at_hash"] == half_hash(body["access_token"])
    assert {"auth_time", "acr", "amr", "sid", "exp", "iat"} <= claims.keys()


def test_authorization_response_carries_state_and_iss(app: Flask, client: FlaskClient) -> None:
    """RFC 9207 section 2: the authorization server MUST include the iss parameter in the response."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp))
    assert params["state"] == "state-123" and params["iss"] == "http://localhost"


def test_userinfo_returns_claims_for_the_granted_scopes(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 5.3.2: the sub Claim in the UserInfo Response MUST be returned."""
    rp = make_rp(organisation_type="council_service")
    user = signed_in_user(client)
    body = tokens_for(client, rp)
    for method in (client.get, client.post):
        info = method("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).get_json()
        assert info["sub"] == user.id and info["email"] == user.email and info["given_name"] == "Ada"
        assert "phone_number" not in info


def test_token_response_is_not_cacheable(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 5.1: Cache-Control no-store and Pragma no-cache."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = exchange(client, rp, get_code(client, rp))
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"


def test_partner_flow_with_consent_gives_a_pairwise_subject_and_a_vault_audience(
    app: Flask, client: FlaskClient
) -> None:
    """OIDC Core section 8.1 (pairwise sub) and RFC 9068 section 3 (aud names the resource server)."""
    import re

    from idp.oauth2.access_tokens import vault_audience, verify_access_token
    from idp.oauth2.subjects import user_for_subject
    from tests.oauth.forge import claims_of

    rp = make_rp(organisation_type="landlord", scope="openid profile vault:tenancy:read")
    user = signed_in_user(client)
    page = authorize(client, rp, scope="openid profile vault:tenancy:read").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|request_id)" value="([^"]+)"', page))
    decided = client.post(
        "/authorize/consent", data={**fields, "decision": "allow", "scopes": ["profile", "vault:tenancy:read"]}
    )
    code = redirect_params(client.get(decided.headers["Location"]))["code"]
    body = exchange(client, rp, code).get_json()
    sub = claims_of(body["id_token"])["sub"]
    assert sub != user.id and user_for_subject(rp.client, sub) is user
    claims = verify_access_token(body["access_token"], vault_audience())
    assert claims.user_id == user.id and "vault:tenancy:read" in claims.scopes and claims.grant_id
