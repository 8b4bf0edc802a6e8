"""Issue 2's remaining checks on the browser-facing protocol endpoints (/authorize and /logout):
login_hint, id_token_hint that is forged in each known way, and hostile input, which gets the right OAuth
error or a clear 4xx page and never a 500."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt

from idp.oauth2.access_tokens import keyring
from tests.oauth.forge import claims_of, header_of, hmac_signed, segment, unsigned
from tests.oauth.helpers import (
    REDIRECT_URI,
    RP,
    authorization_params,
    authorize,
    make_rp,
    redirect_params,
    signed_in_user,
    tokens_for,
)

LOGOUT_TO = "https://rp.example.org/signed-out"


@pytest.fixture
def rp(app: Flask) -> RP:
    return make_rp(organisation_type="council_service", post_logout_redirect_uris=[LOGOUT_TO])


def forgeries(client: FlaskClient, id_token: str) -> dict[str, str]:
    """The same claims as a real ID token, presented in the ways RFC 8725 section 2 warns of."""
    header, claims = header_of(id_token), claims_of(id_token)
    public_jwk = client.get("/jwks.json").get_json()["keys"][0]
    body_and_signature = id_token.split(".", 1)[1]
    return {
        "alg none": unsigned({"alg": "none", "kid": header["kid"]}, claims),
        "HMAC keyed with our public key": hmac_signed(
            {"alg": "HS256", "kid": header["kid"]}, claims, json.dumps(public_jwk).encode()
        ),
        "embedded jwk header": f"{segment({**header, 'jwk': public_jwk})}.{body_and_signature}",
        "claims changed under our signature": f"{segment(header)}.{segment({**claims, 'sub': 'someone'})}."
        + id_token.split(".")[2],
    }


FORGERIES = ["alg none", "HMAC keyed with our public key", "embedded jwk header", "claims changed under our signature"]


# -- login_hint ---------------------------------------------------------------------------------------
def test_login_hint_fills_in_the_sign_in_page(rp: RP, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: login_hint "MAY be used to pre-fill the ... identifier"."""
    sign_in_url = authorize(client, rp, login_hint="sam.jones@example.org").headers["Location"]
    page = client.get(sign_in_url).get_data(as_text=True)
    assert 'value="sam.jones@example.org"' in page


def test_a_hostile_login_hint_is_shown_as_text_not_markup(rp: RP, client: FlaskClient) -> None:
    sign_in_url = authorize(client, rp, login_hint='"><script>alert(1)</script>').headers["Location"]
    page = client.get(sign_in_url).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


# -- id_token_hint --------------------------------------------------------------------------------------
@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_id_token_hint_at_authorize_is_invalid_request(rp: RP, client: FlaskClient, forgery: str) -> None:
    signed_in_user(client)
    hint = forgeries(client, tokens_for(client, rp)["id_token"])[forgery]
    assert redirect_params(authorize(client, rp, id_token_hint=hint))["error"] == "invalid_request"


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_id_token_hint_at_logout_is_refused_and_signs_no_one_out(
    rp: RP, client: FlaskClient, forgery: str
) -> None:
    signed_in_user(client)
    hint = forgeries(client, tokens_for(client, rp)["id_token"])[forgery]
    response = client.get("/logout?" + urlencode({"id_token_hint": hint, "post_logout_redirect_uri": LOGOUT_TO}))
    assert response.status_code == 400
    assert client.get("/account").status_code == 200  # still signed in


def test_an_id_token_hint_issued_to_another_client_is_refused_at_authorize(rp: RP, client: FlaskClient) -> None:
    signed_in_user(client)
    other = make_rp(organisation_type="council_service")
    hint = tokens_for(client, other)["id_token"]
    assert redirect_params(authorize(client, rp, id_token_hint=hint))["error"] == "invalid_request"


def test_an_expired_id_token_hint_still_identifies_the_person(rp: RP, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: "the ID Token ... need not be valid (unexpired)" as a hint."""
    user = signed_in_user(client)
    now = int(time.time())
    claims: dict[str, Any] = {"iss": "http://localhost", "aud": rp.client_id, "sub": user.id, "iat": now - 7200}
    key = keyring().signing_key(None)
    hint = jwt.encode({"alg": key.alg, "kid": key.kid}, {**claims, "exp": now - 3600}, key.jwk)
    assert "code" in redirect_params(authorize(client, rp, id_token_hint=hint, prompt="none"))


def test_logout_with_an_id_token_hint_for_a_client_that_does_not_match_client_id_is_refused(
    rp: RP, client: FlaskClient
) -> None:
    """RP-Initiated Logout 1.0 section 2: when both are given, client_id must match the hint's audience."""
    signed_in_user(client)
    hint = tokens_for(client, rp)["id_token"]
    other = make_rp(organisation_type="council_service")
    response = client.get("/logout?" + urlencode({"id_token_hint": hint, "client_id": other.client_id}))
    assert response.status_code == 400 and client.get("/account").status_code == 200


# -- hostile input ------------------------------------------------------------------------------------------
def test_a_redirect_uri_with_characters_an_error_cannot_quote_gets_an_error_page_not_a_500(
    rp: RP, client: FlaskClient
) -> None:
    """RFC 6749 section 5.2 limits error_description's characters; the request is refused before any
    error would have to quote the value (and, the URI being unverified, never redirected to)."""
    for bad in (REDIRECT_URI + "\u2028", REDIRECT_URI + '"', REDIRECT_URI + "\\x", "https://rp.example.org/é"):
        response = authorize(client, rp, redirect_uri=bad)
        assert response.status_code == 400, bad
        assert "invalid_request" in response.get_data(as_text=True)


def test_a_response_type_with_characters_an_error_cannot_quote_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    response = authorize(client, rp, response_type="code\u00e9")
    assert response.status_code == 400 and "invalid_request" in response.get_data(as_text=True)


def test_a_duplicated_parameter_with_a_non_ascii_name_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    query = urlencode(authorization_params(rp)) + "&caf%C3%A9=1&caf%C3%A9=2"
    response = client.get("/authorize?" + query)
    assert response.status_code == 400 and "included more than once" in response.get_data(as_text=True)
    token = client.post("/oauth2/token", data="%C3%A9=1&%C3%A9=2", content_type="application/x-www-form-urlencoded")
    assert token.status_code == 400 and token.get_json()["error"] == "invalid_request"


def test_max_age_in_non_ascii_digits_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    """max_age is a JSON-style integer of ASCII digits; "٣" (Arabic-Indic three) is not one."""
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, max_age="\u0663"))["error"] == "invalid_request"


@pytest.mark.parametrize("max_age", ["-1", "1e3", "1.5", " 5", "9999999999"])
def test_max_age_that_is_not_a_whole_number_of_seconds_is_invalid_request(
    rp: RP, client: FlaskClient, max_age: str
) -> None:
    signed_in_user(client)
    assert redirect_params(authorize(client, rp, max_age=max_age))["error"] == "invalid_request"


def test_a_json_body_at_authorize_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    """OIDC Core section 3.1.2.1: a POSTed authorization request is form-serialised."""
    response = client.post("/authorize", json=authorization_params(rp))
    assert response.status_code == 400 and "invalid_request" in response.get_data(as_text=True)


def test_a_json_body_at_logout_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    signed_in_user(client)
    response = client.post("/logout", json={"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_TO})
    assert response.status_code == 400 and client.get("/account").status_code == 200


def test_invalid_utf8_at_logout_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    assert client.get("/logout?state=%ff%fe").status_code == 400
    body = b"client_id=%ff"
    assert client.post("/logout", data=body, content_type="application/x-www-form-urlencoded").status_code == 400


def test_a_duplicated_parameter_at_logout_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    signed_in_user(client)
    query = urlencode({"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_TO}) + "&state=a&state=b"
    assert client.get("/logout?" + query).status_code == 400
    assert client.get("/account").status_code == 200


def test_invalid_utf8_in_a_posted_authorization_request_is_invalid_request(rp: RP, client: FlaskClient) -> None:
    body = urlencode(authorization_params(rp)).encode() + b"&nonce=%ff%fe"
    response = client.post("/authorize", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "invalid_request" in response.get_data(as_text=True)


def test_the_sign_in_page_survives_hostile_next_and_login_hint_values(client: FlaskClient) -> None:
    hostile = ("next=%ff", "next=http://[", "next=/authorize%3Fui_locales%3D%25ff", "login_hint=%ff%fe")
    for query in (*hostile, "login_hint=" + "x" * 5000):
        assert client.get("/sign-in?" + query).status_code == 200, query
