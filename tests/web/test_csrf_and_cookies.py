"""CSRF protection on every form, and the session cookie's flags.

Issue 2: "cookies Secure/HttpOnly/SameSite with the __Host- prefix outside development. CSRF protection on
every form."
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.app import create_app
from tests.builders import create_user
from tests.conftest import make_test_config
from tests.web_helpers import csrf_token


@pytest.mark.parametrize(
    "url", ["/sign-in", "/register", "/reset-password", "/sign-out", "/verify", "/verify/resend", "/account/password"]
)
def test_a_form_posted_without_its_csrf_token_is_refused(client: FlaskClient, url: str) -> None:
    create_user()
    response = client.post(url, data={"contact": "citizen@example.org", "password": "x"})
    assert response.status_code in (400, 401)
    if response.status_code == 400:
        assert "Your form expired" in response.get_data(as_text=True)


def test_a_csrf_token_from_another_browser_is_refused(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(app.test_client(), "/sign-in")
    response = client.post("/sign-in", data={"contact": "citizen@example.org", "password": "x", "csrf_token": token})
    assert response.status_code == 400 and "Your form expired" in response.get_data(as_text=True)


def test_the_session_cookie_is_httponly_and_samesite_in_development(client: FlaskClient) -> None:
    cookie = client.get("/sign-in").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_httponly_samesite_with_the_host_prefix(
    database_url: str, keys_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGBOOK_ALLOW_SQLITE", "1")
    monkeypatch.setenv("LOGBOOK_ALLOW_MEMORY_LIMITS", "1")  # one process: the suite's in-memory limits
    config = make_test_config(
        database_url, keys_dir, tmp_path / "outbox", ENV_NAME="production", ISSUER="https://id.example.gov.uk"
    )
    config.pop("TESTING", None)
    production = create_app(config)
    cookie = production.test_client().get("/sign-in", base_url="https://id.example.gov.uk").headers["Set-Cookie"]
    assert cookie.startswith("__Host-logbook_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie
