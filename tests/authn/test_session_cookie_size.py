"""The session cookie stays under the size browsers keep (werkzeug warns past 4,093 bytes): what a request
puts into it (here the ``next`` URL kept while the second factor is asked for) cannot push it over."""

from __future__ import annotations

import secrets
import warnings
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.session_budget import MAX_SESSION_COOKIE_BYTES
from tests.authn.helpers import enrol_totp
from tests.builders import DEFAULT_PASSWORD
from tests.web_helpers import post_form

# Random text: the session serializer compresses, so a run of one letter would fit in a few bytes.
LONG_NEXT = "/account?q=" + secrets.token_urlsafe(3000)


def _sign_in_with_next(client: FlaskClient, user: User, next_url: str) -> object:
    url = "/sign-in?next=" + quote(next_url, safe="")
    return post_form(client, url, {"contact": user.email, "password": DEFAULT_PASSWORD}, page_url="/sign-in")


def test_an_oversized_next_url_is_refused_with_400_and_the_cookie_stays_small(
    app: Flask, client: FlaskClient, user: User
) -> None:
    enrol_totp(user)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        response = _sign_in_with_next(client, user, LONG_NEXT)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "too long for us to keep" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    cookies = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    assert all(len(cookie) < MAX_SESSION_COOKIE_BYTES for cookie in cookies)
    assert not [warning for warning in seen if "cookie is too large" in str(warning.message)]


def test_after_the_refusal_no_half_finished_sign_in_is_kept(client: FlaskClient, user: User) -> None:
    enrol_totp(user)
    _sign_in_with_next(client, user, LONG_NEXT)
    assert client.get("/sign-in/second-factor").headers.get("Location", "").startswith("/sign-in")


def test_a_next_url_of_ordinary_length_still_leads_to_the_second_factor(client: FlaskClient, user: User) -> None:
    enrol_totp(user)
    response = _sign_in_with_next(client, user, "/account?q=" + secrets.token_urlsafe(300))
    assert response.headers["Location"] == "/sign-in/second-factor"  # type: ignore[attr-defined]
