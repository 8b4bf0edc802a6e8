"""Test helpers for second factors: an enrolled authenticator app, codes at a given time step, a signed-in
browser, and a software WebAuthn authenticator that builds "none" attestations and assertions by hand."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import cbor2
import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from idp.accounts.models import LoginSession, User
from idp.authn import totp
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD
from tests.web_helpers import csrf_token, post_form, sign_in

ORIGIN = "http://localhost"  # the test config's ISSUER
RP_ID = "localhost"


def code_at(secret: str, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + steps_from_now * totp.STEP_SECONDS)


def enrol_totp(user: User) -> str:
    """An active authenticator app for ``user``; returns its secret. Confirmed with the previous step's
    code, so that the current step's code is still unused for the test."""
    enrolment = totp.start_enrolment(user)
    totp.confirm_enrolment(enrolment.factor, code_at(enrolment.secret, -1))
    return enrolment.secret


def login_of(user: User) -> LoginSession:
    db.session.expire_all()
    sessions = list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)))
    assert len(sessions) == 1, f"expected one sign-in session, found {len(sessions)}"
    return sessions[0]


def post_code(client: FlaskClient, url: str, code: str) -> Any:
    return client.post(url, data={"code": code, "csrf_token": csrf_token(client, url)})


def sign_in_with_code(client: FlaskClient, user: User, secret: str) -> Any:
    assert sign_in(client, user.email or "").headers["Location"] == "/sign-in/second-factor"
    return post_code(client, "/sign-in/second-factor", code_at(secret))


def post_code_at_once(app: Flask, browser: FlaskClient, url: str, code: str, times: int = 20) -> list[int]:
    """``times`` copies of ``browser`` (its session cookie and the page's CSRF token) post ``code`` to ``url``
    at the same moment, released by a barrier; each has its own test client, app context and database
    connection. Returns the response statuses."""
    token = csrf_token(browser, url)
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "the browser has no session to copy"
    start = threading.Barrier(times)

    def submit(_: int) -> int:
        twin = app.test_client()
        twin.set_cookie(cookie.key, cookie.value)
        start.wait()
        return twin.post(url, data={"code": code, "csrf_token": token}).status_code

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(submit, range(times)))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """A passkey authenticator in software: one EC P-256 key, flags chosen by the test."""

    UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40

    def __init__(self, synced: bool = False, user_verifying: bool = True) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.synced = synced
        self.user_verifying = user_verifying
        self.user_handle: bytes | None = None

    def _flags(self, extra: int = 0) -> int:
        flags = self.UP | extra
        if self.user_verifying:
            flags |= self.UV
        if self.synced:
            flags |= self.BE | self.BS
        return flags

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: dict[str, Any], origin: str = ORIGIN) -> dict[str, Any]:
        """navigator.credentials.create() with "none" attestation."""
        self.user_handle = unb64url(options["user"]["id"])
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = self._auth_data(options["rp"]["id"], self._flags(self.AT), 0) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def _auth_data(self, rp_id: str, flags: int, sign_count: int) -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)

    def get(self, options: dict[str, Any], origin: str = ORIGIN, sign_count: int | None = None) -> dict[str, Any]:
        """navigator.credentials.get(): signs authenticatorData || SHA-256(clientDataJSON)."""
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        auth_data = self._auth_data(options["rpId"], self._flags(), self.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle or b""),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def passkey_csrf_token(client: FlaskClient, page_url: str) -> str:
    html = client.get(page_url).get_data(as_text=True)
    match = re.search(r'data-csrf-token="([^"]+)"', html)
    assert match, f"no passkey block on {page_url}"
    return match.group(1)


def json_post(client: FlaskClient, url: str, body: dict[str, Any], page_url: str, token: str | None = None) -> Any:
    """A fetch() from a page: JSON body, the token from the page's passkey block in X-CSRFToken."""
    token = token or passkey_csrf_token(client, page_url)
    return client.post(url, json=body, headers={"X-CSRFToken": token, "Accept": "application/json"})


def register_passkey(client: FlaskClient, authenticator: SoftAuthenticator, name: str = "Test key") -> Any:
    """Drive the registration endpoints as passkeys.js does, from the 'Add a passkey' page."""
    page = "/account/security/passkeys/new"
    options = json_post(client, "/account/security/passkeys/options", {"purpose": "register"}, page)
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.create(options.get_json())
    return json_post(client, "/account/security/passkeys", {"credential": credential, "name": name}, page)


def use_passkey(client: FlaskClient, authenticator: SoftAuthenticator, purpose: str, page: str, **extra: Any) -> Any:
    """Drive the authentication endpoints as passkeys.js does, from ``page``."""
    options = json_post(client, "/sign-in/passkey/options", {"purpose": purpose}, page)
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.get(options.get_json(), sign_count=extra.pop("sign_count", None))
    return json_post(client, "/sign-in/passkey", {"purpose": purpose, "credential": credential, **extra}, page)


def age_session(user: User, seconds: int) -> None:
    """Time passes: move the user's sign-in ``seconds`` into the past instead of sleeping."""
    login = login_of(user)
    login.auth_time = login.auth_time - timedelta(seconds=seconds)
    db.session.commit()


def complete_step_up(
    client: FlaskClient,
    start_url: str,
    secret: str | None = None,
    password: str = DEFAULT_PASSWORD,
    authenticator: SoftAuthenticator | None = None,
) -> Any:
    """GET ``start_url`` and answer each step-up page it leads to, as a person would; returns the page
    the step-up leads back to (``start_url`` again, when it needed a step-up)."""
    response = client.get(start_url)
    stepped_up = False
    for _ in range(8):
        location = response.headers.get("Location", "") if response.status_code == 302 else ""
        path = urlsplit(location).path
        if path.startswith("/sign-in/step-up"):
            stepped_up = True
        if path == "/sign-in/step-up":
            response = client.get(location)
        elif path == "/sign-in/step-up/password":
            response = post_form(client, path, {"password": password})
        elif path == "/sign-in/step-up/code":
            assert secret is not None, "the step-up asked for an authenticator-app code"
            response = post_code(client, path, code_at(secret))
        elif path == "/sign-in/step-up/passkey":
            assert authenticator is not None, "the step-up asked for a passkey"
            answer = use_passkey(client, authenticator, "step-up", path)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            response = client.get(answer.get_json()["redirect"])
        else:
            return client.get(location) if stepped_up and location else response
    raise AssertionError("the step-up did not finish")
