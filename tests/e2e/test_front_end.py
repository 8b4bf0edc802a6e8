"""The council-branded front end in a real browser: the compiled stylesheet loads, the GOV.UK-only GDS
Transport typeface is never downloaded, and the public pages pass the axe-core WCAG 2.2 AA checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.live_server]

PUBLIC_PAGES = ["/", "/sign-in", "/register", "/privacy", "/accessibility", "/cookies"]


def test_the_start_page_loads_the_compiled_stylesheet_and_no_font_file(live_server: LiveServer, page: Any) -> None:
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")

    stylesheets = [r for r in responses if r.request.resource_type == "stylesheet"]
    assert [(r.url, r.status) for r in stylesheets] == [(live_server.url + "/static/build/logbook.css", 200)]
    assert stylesheets[0].headers["content-type"].startswith("text/css")
    fonts = [r.url for r in responses if r.request.resource_type == "font" or "/fonts/" in r.url]
    assert fonts == []


def test_text_is_set_in_arial(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/")
    font = page.evaluate("() => getComputedStyle(document.querySelector('h1')).fontFamily")
    assert font == "arial, sans-serif"


def test_the_header_is_the_councils_in_its_brand_colour(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/")
    header = page.locator(".govuk-generic-header")
    assert header.inner_text().strip() == "Your council"
    assert header.evaluate("(element) => getComputedStyle(element).backgroundColor") == "rgb(0, 90, 112)"


def test_the_skip_link_moves_focus_to_the_main_content(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("(element) => element === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main-content"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_pass_the_accessibility_checks(live_server: LiveServer, page: Any, path: str) -> None:
    page.goto(live_server.url + path)
    assert_accessible(page)
