"""Bad input on the token endpoint and friends gets the right OAuth error, never a 500."""

from __future__ import annotations

import base64
import json

from flask import Flask
from flask.testing import FlaskClient

from tests.oauth.forge import hmac_signed, unsigned
from tests.oauth.helpers import get_code, make_rp, signed_in_user


def _cc_rp():  # type: ignore[no-untyped-def]
    return make_rp(grant_types=["client_credentials"], redirect_uris=[], scope="vault:tenancy:write")


def test_json_body_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.1.3: the token request uses application/x-www-form-urlencoded."""
    rp = _cc_rp()
    response = client.post("/oauth2/token", json={"grant_type": "client_credentials"}, auth=rp.basic)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_duplicated_token_parameter_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 3.2: parameters MUST NOT be included more than once."""
    rp = _cc_rp()
    body = "grant_type=client_credentials&grant_type=client_credentials"
    response = client.post("/oauth2/token", data=body, content_type="application/x-www-form-urlencoded", auth=rp.basic)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_parameter_in_both_query_and_body_counts_as_duplicated(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    response = client.post(
        "/oauth2/token?grant_type=password", data={"grant_type": "client_credentials"}, auth=rp.basic
    )
    assert response.get_json()["error"] == "invalid_request"


def test_invalid_utf8_in_the_body_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    response = client.post(
        "/oauth2/token",
        data=b"grant_type=client_credentials&scope=%ff%fe",
        content_type="application/x-www-form-urlencoded",
        auth=rp.basic,
    )
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_oversized_parameter_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    data = {"grant_type": "client_credentials", "scope": "x" * 5000}
    assert client.post("/oauth2/token", data=data, auth=rp.basic).get_json()["error"] == "invalid_request"


def test_oversized_body_is_refused_with_a_4xx(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    response = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials", "x": "y" * 200_000}, auth=rp.basic
    )
    assert 400 <= response.status_code < 500


def test_missing_grant_type_is_unsupported_grant_type(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    response = client.post("/oauth2/token", data={"foo": "bar"}, auth=rp.basic)
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"


def test_get_on_the_token_endpoint_is_refused(app: Flask, client: FlaskClient) -> None:
    assert client.get("/oauth2/token?grant_type=client_credentials").status_code == 405


def test_garbage_code_is_invalid_grant(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    data = {
        "grant_type": "authorization_code",
        "code": "\u00e9" * 100,
        "redirect_uri": "https://rp.example.org/callback",
        "code_verifier": rp.verifier,
    }
    assert client.post("/oauth2/token", data=data, auth=rp.basic).get_json()["error"] == "invalid_grant"


def test_malformed_basic_credentials_are_invalid_client(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!!not-base64"}
    )
    assert response.status_code in (400, 401) and response.get_json()["error"] == "invalid_client"


def test_two_client_authentication_methods_at_once_are_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 2.3: the client MUST NOT use more than one authentication method in each request."""
    rp = _cc_rp()
    data = {"grant_type": "client_credentials", "client_id": rp.client_id, "client_secret": rp.secret}
    assert client.post("/oauth2/token", data=data, auth=rp.basic).get_json()["error"] == "invalid_request"


def test_unsigned_client_assertion_is_invalid_client(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    assertion = unsigned({"alg": "none"}, {"iss": rp.client_id, "sub": rp.client_id, "aud": "http://localhost"})
    data = {
        "grant_type": "client_credentials",
        "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    response = client.post("/oauth2/token", data=data)
    assert response.get_json()["error"] == "invalid_client"


def test_forged_access_tokens_at_userinfo_are_invalid_token(app: Flask, client: FlaskClient) -> None:
    """RFC 6750 section 3.1: invalid_token with 401 for a malformed or forged token."""
    key = json.dumps(app.extensions["logbook_keyring"].signing_key().public_jwk()).encode()
    claims = {
        "iss": "http://localhost",
        "sub": "x",
        "aud": ["http://localhost"],
        "scope": "openid",
        "client_id": "c",
        "jti": "j",
        "iat": 1,
        "exp": 9999999999,
    }
    for token in (
        unsigned({"alg": "none", "typ": "at+jwt"}, claims),
        hmac_signed({"alg": "HS256", "typ": "at+jwt"}, claims, key),
        "garbage",
        "a.b.c",
    ):
        response = client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.get_json()["error"] == "invalid_token"


def test_userinfo_without_a_token_is_401_with_a_bearer_challenge(app: Flask, client: FlaskClient) -> None:
    """RFC 6750 section 3: WWW-Authenticate: Bearer when the request lacks authentication."""
    response = client.get("/userinfo")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revocation_with_a_json_body_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    response = client.post("/oauth2/revoke", json={"token": "x"}, auth=rp.basic)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_introspection_without_token_parameter_is_invalid_request(app: Flask, client: FlaskClient) -> None:
    rp = _cc_rp()
    response = client.post("/oauth2/introspect", data={"foo": "bar"}, auth=rp.basic)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_code_from_the_authorization_endpoint_works_only_with_form_bodies(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    code = get_code(client, rp)
    response = client.post(
        "/oauth2/token",
        auth=rp.basic,
        json={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": rp.verifier,
            "redirect_uri": "https://rp.example.org/callback",
        },
    )
    assert response.get_json()["error"] == "invalid_request"


def test_basic_credentials_that_are_not_utf8_are_invalid_client(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 2.3.1: client_id and client_secret are encoded as UTF-8 before base64."""
    headers = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}
    for endpoint in ("/oauth2/token", "/oauth2/revoke", "/oauth2/introspect"):
        response = client.post(endpoint, data={"grant_type": "client_credentials", "token": "x"}, headers=headers)
        assert response.status_code == 401 and response.get_json()["error"] == "invalid_client", endpoint
