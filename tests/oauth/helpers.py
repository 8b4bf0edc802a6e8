"""Driving the provider as a relying party would, through the Flask test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.builders import DEFAULT_PASSWORD, create_client, create_user
from tests.web_helpers import sign_in

REDIRECT_URI = "https://rp.example.org/callback"


class RP:
    """A registered relying party with its secret and one PKCE pair."""

    def __init__(self, client: Any, secret: str | None) -> None:
        self.client = client
        self.client_id: str = client.client_id
        self.secret = secret
        self.verifier = secrets.token_urlsafe(48)
        self.challenge = s256(self.verifier)

    @property
    def basic(self) -> tuple[str, str]:
        return (self.client_id, self.secret or "")


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def make_rp(**metadata: Any) -> RP:
    metadata.setdefault("redirect_uris", [REDIRECT_URI])
    client, secret = create_client(**metadata)
    return RP(client, secret)


def signed_in_user(http: FlaskClient, email: str = "citizen@example.org", **fields: Any) -> Any:
    user = create_user(email=email, given_name="Ada", family_name="Lovelace", **fields)
    response = sign_in(http, email, DEFAULT_PASSWORD)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return user


def authorization_params(rp: RP, **overrides: Any) -> dict[str, Any]:
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": rp.challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def authorize(http: FlaskClient, rp: RP, **overrides: Any) -> TestResponse:
    return http.get("/authorize?" + urlencode(authorization_params(rp, **overrides)))


def redirect_params(response: TestResponse) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def get_code(http: FlaskClient, rp: RP, **overrides: Any) -> str:
    params = redirect_params(authorize(http, rp, **overrides))
    assert "code" in params, params
    return params["code"]


def exchange(http: FlaskClient, rp: RP, code: str, **overrides: Any) -> TestResponse:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": rp.verifier,
    }
    data.update(overrides)
    return http.post("/oauth2/token", data={k: v for k, v in data.items() if v is not None}, auth=rp.basic)


def tokens_for(http: FlaskClient, rp: RP, **overrides: Any) -> dict[str, Any]:
    response = exchange(http, rp, get_code(http, rp, **overrides))
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def refresh(http: FlaskClient, rp: RP, refresh_token: str, **extra: Any) -> TestResponse:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return http.post("/oauth2/token", data=data, auth=rp.basic)
