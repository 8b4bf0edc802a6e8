"""A relying party built on an independent client library (Authlib's requests client) against the real
server: discovery, authorization code + PKCE, ID token checked against the published JWKS, userinfo,
refresh, revocation."""

from __future__ import annotations

import re
import secrets

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.builders import DEFAULT_PASSWORD, create_client, create_user
from tests.e2e.conftest import LiveServer

REDIRECT_URI = "http://127.0.0.1:9/callback"
EMAIL = "oidc.e2e@example.org"


def _seed(live_server: LiveServer) -> tuple[str, str]:
    with live_server.app_context():
        create_user(email=EMAIL, given_name="Grace")
        client, secret = create_client(
            "E2E council service", redirect_uris=[REDIRECT_URI], organisation_type="council_service"
        )
        return client.client_id, str(secret)


def _signed_in_browser(url: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(url + "/sign-in").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed_in = browser.post(
        url + "/sign-in",
        data={"csrf_token": token, "contact": EMAIL, "password": DEFAULT_PASSWORD},
        allow_redirects=False,
    )
    assert signed_in.status_code in (302, 303), signed_in.text[:500]
    return browser


@pytest.mark.live_server
def test_code_flow_with_pkce_through_an_independent_client(live_server: LiveServer) -> None:
    client_id, secret = _seed(live_server)
    meta = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=5).json()
    browser = _signed_in_browser(live_server.url)
    rp = OAuth2Session(
        client_id, secret, scope="openid profile email", redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    answer = browser.get(url, allow_redirects=False)
    assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
    callback = answer.headers["Location"]
    assert callback.startswith(REDIRECT_URI) and f"iss={requests.utils.quote(meta['issuer'], safe='')}" in callback

    token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    claims = jwt.decode(token["id_token"], jwks, algorithms=meta["id_token_signing_alg_values_supported"]).claims
    assert claims["nonce"] == nonce and claims["aud"] == client_id and claims["iss"] == meta["issuer"]

    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"] and info["email"] == EMAIL

    refreshed = rp.refresh_token(meta["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]

    rp.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
    assert rp.get(meta["userinfo_endpoint"]).status_code == 401
