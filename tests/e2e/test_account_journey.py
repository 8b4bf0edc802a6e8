"""A citizen's first visit in a real browser against the real server: register by email, confirm with
the code from the outbox, sign in, see the account, sign out; every page passes axe-core's WCAG checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LiveServer, assert_accessible
from tests.web_helpers import latest_code

EMAIL = "journey@example.org"
PASSWORD = "walrus lantern opera 1987"


@pytest.mark.live_server
@pytest.mark.browser
def test_register_confirm_sign_in_and_sign_out(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Create an account").click()

    page.get_by_role("heading", name="Create an account").wait_for()
    assert_accessible(page)
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Jones")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.get_by_role("heading", name="Check your email").wait_for()
    assert_accessible(page)
    page.get_by_label("Enter the 6-digit code").fill(latest_code(live_server.outbox, to=EMAIL))
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Sign in").wait_for()
    assert "is confirmed" in page.content()
    assert_accessible(page)
    page.get_by_label("Email address or mobile phone number").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="Your account").wait_for()
    assert "Sam Jones" in page.content() and EMAIL in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Sign out").click()

    page.get_by_role("heading", name=re.compile("Sign out of")).wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    page.get_by_text("You have signed out.").wait_for()
    assert_accessible(page)
    page.goto(live_server.url + "/account")
    assert "/sign-in" in page.url


@pytest.mark.live_server
def test_the_real_server_refuses_a_one_megabyte_password_with_a_400(live_server: LiveServer) -> None:
    """Issue 2: "oversize input (e.g. 1 MB) refused fast with a 400", through gunicorn, not only the test client."""
    browser = requests.Session()
    page = browser.get(live_server.url + "/sign-in", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"contact": "someone@example.org", "password": "x" * 1024 * 1024, "csrf_token": token}
    response = browser.post(live_server.url + "/sign-in", data=data, timeout=10)
    assert response.status_code == 400 and "too long" in response.text
