"""A citizen keeps their tenancy in the vault, in a real browser against the real server; every page
passes axe-core's WCAG checks (issue 3: citizen pages with GOV.UK form patterns)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import DEFAULT_PASSWORD, create_user
from tests.e2e.conftest import LiveServer, assert_accessible

EMAIL = "vault-journey@example.org"


def _sign_in(p: Any, live_server: LiveServer) -> None:
    p.goto(live_server.url + "/vault")
    p.get_by_label("Email address or mobile phone number").fill(EMAIL)
    p.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    p.get_by_role("button", name="Sign in").click()
    p.get_by_role("heading", name="Your vault").wait_for()


@pytest.mark.live_server
@pytest.mark.browser
def test_add_a_tenancy_see_its_history_and_download_everything(live_server: LiveServer, page: Any) -> None:
    with live_server.app_context():
        create_user(email=EMAIL)
    p = page
    _sign_in(p, live_server)
    assert_accessible(p)

    p.get_by_role("link", name="Your tenancy").click()
    p.get_by_role("heading", name="Your tenancy").wait_for()
    assert_accessible(p)
    p.get_by_role("link", name="Add a tenancy").click()
    p.get_by_role("button", name="Save").click()  # nothing filled in: errors name the fields
    p.get_by_role("heading", name="There is a problem").wait_for()
    assert "Enter property address" in p.content()
    assert_accessible(p)

    p.get_by_label("Property address").fill("Flat 3, 17 Quarry Lane\nMillbrook")
    p.get_by_label("Day", exact=True).fill("1")
    p.get_by_label("Month", exact=True).fill("4")
    p.get_by_label("Year", exact=True).fill("2024")
    p.get_by_label("Rent amount (optional)").fill("451.25")
    p.get_by_label("Monthly").check()
    p.get_by_role("button", name="Save").click()
    p.get_by_text("Tenancy added", exact=True).wait_for()
    assert "£451.25" in p.content() and "1 April 2024" in p.content()
    assert_accessible(p)

    p.get_by_role("link", name="Change tenancy").click()
    p.get_by_label("Rent amount (optional)").fill("460.00")
    p.get_by_role("button", name="Save").click()
    p.get_by_text("Tenancy updated", exact=True).wait_for()
    assert "Version 2 (current)" in p.content()
    assert_accessible(p)

    p.goto(live_server.url + "/vault/download")
    assert "Quarry Lane" in p.content()
    assert_accessible(p)
    p.goto(live_server.url + "/vault/delete-account")
    assert_accessible(p)
