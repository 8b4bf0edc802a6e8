"""Sign-in throttling per account and per client address, without permanent lockout.

Issue 2: "Sign-in throttling per account and per address (Flask-Limiter), without permanent lockout."
Runs on in-process memory and, with TEST_REDIS_URL, on Redis.
"""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from tests.builders import DEFAULT_PASSWORD, create_user
from tests.web_helpers import post_form


def attempt(client: FlaskClient, contact: str, password: str = "wrong password", address: str = "192.0.2.1") -> object:
    return post_form(
        client, "/sign-in", {"contact": contact, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_too_many_failures_for_one_account_are_refused_from_any_address(app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "3 per minute"
    create_user()
    for number in range(3):
        assert attempt(client, "citizen@example.org", address=f"192.0.2.{number}").status_code == 400  # type: ignore[attr-defined]
    blocked = attempt(client, "citizen@example.org", DEFAULT_PASSWORD, address="198.51.100.7")
    assert blocked.status_code == 429  # type: ignore[attr-defined]


def test_the_account_limit_does_not_block_other_accounts(app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "3 per minute"
    create_user(email="other@example.org")
    for _ in range(3):
        attempt(client, "citizen@example.org")
    assert attempt(client, "other@example.org", DEFAULT_PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_too_many_failures_from_one_address_are_refused_for_any_account(app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "4 per minute"
    create_user()
    for number in range(4):
        attempt(client, f"person{number}@example.org")
    blocked = attempt(client, "citizen@example.org", DEFAULT_PASSWORD)
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    assert attempt(client, "citizen@example.org", DEFAULT_PASSWORD, address="203.0.113.9").status_code == 302  # type: ignore[attr-defined]


def test_successful_sign_ins_do_not_use_up_the_limit(app: Flask, client: FlaskClient) -> None:
    """A shared address (a library, a council office) is not blocked by people who sign in correctly."""
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "2 per minute"
    create_user()
    for _ in range(4):
        assert attempt(client, "citizen@example.org", DEFAULT_PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_the_429_page_says_when_to_try_again(app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "1 per 10 minutes"
    attempt(client, "citizen@example.org")
    blocked = attempt(client, "citizen@example.org")
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    assert "Try again in 10 minutes" in blocked.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 0 < int(blocked.headers["Retry-After"]) <= 600  # type: ignore[attr-defined]


def test_the_block_lifts_when_the_window_ends(app: Flask, client: FlaskClient) -> None:
    """No permanent lockout. The one test here that waits: a 1-second window, so it waits 1.5 seconds."""
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "2 per 1 second"
    create_user()
    attempt(client, "citizen@example.org")
    attempt(client, "citizen@example.org")
    assert attempt(client, "citizen@example.org", DEFAULT_PASSWORD).status_code == 429  # type: ignore[attr-defined]
    time.sleep(1.5)
    assert attempt(client, "citizen@example.org", DEFAULT_PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_registration_attempts_from_one_address_are_limited(app: Flask, client: FlaskClient) -> None:
    """Trying address after address on the registration page (to learn who is registered) is throttled."""
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per minute"
    create_user()
    data = {"given_name": "A", "family_name": "B", "email": "citizen@example.org", "new_password": "x"}
    for _ in range(3):
        assert post_form(client, "/register", data).status_code == 400
    assert post_form(client, "/register", data).status_code == 429
