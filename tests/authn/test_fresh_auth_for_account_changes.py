"""Changing the password needs a fresh sign-in with the strongest factor held."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.authn.levels import ACR_TWO_FACTOR
from idp.extensions import db
from tests.authn.helpers import age_session, enrol_totp
from tests.builders import DEFAULT_PASSWORD
from tests.web_helpers import csrf_token

NEW_PASSWORD = "a completely different passphrase 42"


def _step_up_query(response: object) -> dict[str, list[str]]:
    location = response.headers["Location"]  # type: ignore[attr-defined]
    assert urlsplit(location).path == "/sign-in/step-up", location
    return parse_qs(urlsplit(location).query)


def test_the_password_page_asks_a_stale_session_to_sign_in_again(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: changing password needs a fresh sign-in (GET of the form)."""
    age_session(user, 600)
    assert _step_up_query(signed_in.get("/account/password"))["next"] == ["/account/password"]


def test_a_password_change_posted_from_a_stale_session_is_not_made(
    app: Flask, signed_in: FlaskClient, user: User
) -> None:
    """Issue 5: changing password needs a fresh sign-in (the POST itself is refused too)."""
    token = csrf_token(signed_in, "/account/password")
    before = user.password_hash
    age_session(user, 600)
    data = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    response = signed_in.post("/account/password", data={**data, "csrf_token": token})
    assert _step_up_query(response)["next"] == ["/account/password"]
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before  # type: ignore[union-attr]


def test_a_password_change_needs_the_second_factor_when_one_is_held(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: a fresh sign-in with the strongest factor held."""
    enrol_totp(user)
    assert _step_up_query(signed_in.get("/account/password"))["acr"] == [ACR_TWO_FACTOR.value]


def test_a_fresh_password_only_session_may_open_the_password_page(signed_in: FlaskClient) -> None:
    """Issue 5: a person who has just signed in with their strongest factor is not asked again."""
    assert signed_in.get("/account/password").status_code == 200
