"""Discovery, JWKS, RP-initiated logout and id_token_hint."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.authn.levels import AUTHENTICATION_LEVELS
from tests.oauth.forge import claims_of, header_of
from tests.oauth.helpers import authorize, make_rp, redirect_params, signed_in_user, tokens_for

LOGOUT_TO = "https://rp.example.org/signed-out"


def test_discovery_document_names_issuer_and_endpoints(app: Flask, client: FlaskClient) -> None:
    """OIDC Discovery section 4.3: the issuer value returned MUST be identical to the Issuer URL."""
    meta = client.get("/.well-known/openid-configuration").get_json()
    assert meta["issuer"] == "http://localhost"
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    ):
        assert meta[name].startswith("http://localhost/")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["acr_values_supported"] == [level.value for level in AUTHENTICATION_LEVELS]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert meta["response_types_supported"] == ["code"]


def test_discovery_lists_offline_access_and_every_vault_module_scope(client: FlaskClient) -> None:
    scopes = client.get("/.well-known/openid-configuration").get_json()["scopes_supported"]
    assert "offline_access" in scopes
    assert {"vault:tenancy:read", "vault:tenancy:write", "vault:health:read", "vault:support:write"} <= set(scopes)


def test_jwks_publishes_public_keys_with_kids(app: Flask, client: FlaskClient) -> None:
    keys = client.get("/jwks.json").get_json()["keys"]
    assert keys and all(key.get("kid") for key in keys)
    assert not any("d" in key for key in keys)
    assert {"ES256", "RS256"} <= {key["alg"] for key in keys}


def test_client_registered_for_rs256_gets_rs256_id_tokens(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service", id_token_signed_response_alg="RS256")
    signed_in_user(client)
    body = tokens_for(client, rp)
    assert header_of(body["id_token"])["alg"] == "RS256"
    jwt.decode(body["id_token"], KeySet.import_key_set(client.get("/jwks.json").get_json()), algorithms=["RS256"])


def test_council_service_gets_the_public_subject_in_the_id_token(app: Flask, client: FlaskClient) -> None:
    """OIDC Core section 8: subject type public for the council's own services."""
    rp = make_rp(organisation_type="council_service")
    user = signed_in_user(client)
    assert claims_of(tokens_for(client, rp)["id_token"])["sub"] == user.id


def _logout_rp():  # type: ignore[no-untyped-def]
    return make_rp(organisation_type="council_service", post_logout_redirect_uris=[LOGOUT_TO])


def test_logout_with_id_token_hint_ends_the_session_and_returns_with_state(app: Flask, client: FlaskClient) -> None:
    """OIDC RP-Initiated Logout section 2: redirect to post_logout_redirect_uri with state."""
    rp = _logout_rp()
    signed_in_user(client)
    id_token = tokens_for(client, rp)["id_token"]
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": LOGOUT_TO, "state": "s1"})
    response = client.get("/logout?" + query)
    assert response.status_code == 302 and response.headers["Location"] == LOGOUT_TO + "?state=s1"
    assert urlsplit(authorize(client, rp).headers["Location"]).path == "/sign-in"


def test_logout_to_an_unregistered_uri_is_refused(app: Flask, client: FlaskClient) -> None:
    """OIDC RP-Initiated Logout section 3: post_logout_redirect_uri MUST have been registered."""
    rp = _logout_rp()
    signed_in_user(client)
    id_token = tokens_for(client, rp)["id_token"]
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example.com/"})
    response = client.get("/logout?" + query)
    assert response.status_code == 400 and "Location" not in response.headers


def test_logout_without_a_hint_asks_the_person_first(app: Flask, client: FlaskClient) -> None:
    import re

    rp = _logout_rp()
    signed_in_user(client)
    page = client.get("/logout?" + urlencode({"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_TO}))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Do you want to sign out?" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    confirmed = client.post("/logout/confirm", data={"csrf_token": token})
    assert confirmed.headers["Location"] == LOGOUT_TO


def test_logout_with_a_forged_hint_is_refused(app: Flask, client: FlaskClient) -> None:
    from tests.oauth.forge import unsigned

    rp = _logout_rp()
    forged = unsigned({"alg": "none"}, {"iss": "http://localhost", "aud": rp.client_id, "sub": "x"})
    response = client.get("/logout?" + urlencode({"id_token_hint": forged, "post_logout_redirect_uri": LOGOUT_TO}))
    assert response.status_code == 400


def test_id_token_hint_for_another_person_sends_to_sign_in(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    hint = tokens_for(client, rp)["id_token"]
    other = app.test_client()
    signed_in_user(other, email="someone.else@example.org")
    response = authorize(other, rp, id_token_hint=hint)
    assert urlsplit(response.headers["Location"]).path == "/sign-in"
    assert redirect_params(authorize(other, rp, id_token_hint=hint, prompt="none"))["error"] == "login_required"


def test_id_token_hint_for_the_signed_in_person_is_accepted(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    hint = tokens_for(client, rp)["id_token"]
    assert "code" in redirect_params(authorize(client, rp, id_token_hint=hint, prompt="none"))


def test_garbage_id_token_hint_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp, id_token_hint="not.a.jwt"))
    assert params["error"] == "invalid_request"
