"""The council's branding and the pages a council publishes about the service: privacy notice, accessibility
statement and cookies.

GOV.UK Design System: services not on GOV.UK must not use the GOV.UK crown or logo, nor the GDS Transport
typeface, which is restricted to GOV.UK.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

COUNCIL = "Northshire County Council"


@pytest.fixture
def council_client(app: Flask) -> FlaskClient:
    app.config["COUNCIL_NAME"] = COUNCIL
    return app.test_client()


def squeezed(html: str) -> str:
    """The page with runs of whitespace as one space: macros indent their output."""
    return re.sub(r"\s+", " ", html)


def test_the_header_names_the_council_and_the_service(council_client: FlaskClient) -> None:
    page = squeezed(council_client.get("/").get_data(as_text=True))
    assert f'<a href="/" class="govuk-generic-header__homepage-link"> {COUNCIL} </a>' in page
    assert '<a href="/" class="govuk-service-navigation__link"> Logbook </a>' in page


def test_no_page_shows_the_govuk_crown_or_its_icons(client: FlaskClient) -> None:
    for path in ("/", "/sign-in", "/privacy", "/accessibility", "/cookies"):
        page = client.get(path).get_data(as_text=True)
        assert "govuk-logo" not in page and "govuk-footer__crown" not in page, path
        assert "govuk-icon" not in page and "favicon" not in page and "Crown copyright" not in page, path


def test_pages_link_the_compiled_council_stylesheet_not_the_prebuilt_govuk_one(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/build/logbook.css">' in page
    assert "govuk-frontend.min.css" not in page


def test_the_stylesheet_uses_arial_and_loads_no_gds_transport_font(client: FlaskClient) -> None:
    """Built by `make setup` (idp/static/build/ is git-ignored); run it first if this fails with 404."""
    response = client.get("/static/build/logbook.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "font-family:arial,sans-serif" in css
    assert "GDS Transport" not in css and "@font-face" not in css and ".woff" not in css


def test_the_footer_links_the_accessibility_statement_privacy_notice_and_cookies(council_client: FlaskClient) -> None:
    page = council_client.get("/").get_data(as_text=True)
    links = (("/accessibility", "Accessibility statement"), ("/privacy", "Privacy notice"), ("/cookies", "Cookies"))
    for href, text in links:
        assert f'href="{href}">{text}</a>' in page
    assert f"Logbook is run by {COUNCIL}." in page


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/privacy", "Privacy notice"),
        ("/accessibility", "Accessibility statement for Logbook"),
        ("/cookies", "Cookies"),
    ],
)
def test_each_published_page_is_public_and_names_the_council(
    council_client: FlaskClient, path: str, heading: str
) -> None:
    response = council_client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<h1 class="govuk-heading-xl">{heading}</h1>' in page
    assert COUNCIL in page.split('id="main-content"')[1]


def test_the_privacy_notice_says_what_survives_account_deletion(client: FlaskClient) -> None:
    page = client.get("/privacy").get_data(as_text=True)
    assert "the key that unlocks your logbook is destroyed first" in page
    assert "copies in the council's backups last until those backups expire" in page


def test_the_cookies_page_names_the_session_cookie_and_its_lifetimes_from_configuration(app: Flask) -> None:
    app.config.update(SESSION_COOKIE_NAME="__Host-logbook_session")
    page = app.test_client().get("/cookies").get_data(as_text=True)
    assert '<td class="govuk-table__cell">__Host-logbook_session</td>' in page
    idle = int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds() // 60)
    hours = int(app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() // 3600)
    assert f"{hours} hours; you are signed out after {idle} minutes without activity" in page


@pytest.mark.parametrize(
    ("path", "setting"), [("/privacy", "DATA_PROTECTION_EMAIL"), ("/accessibility", "ACCESSIBILITY_EMAIL")]
)
def test_the_privacy_and_accessibility_pages_name_the_configured_contact(app: Flask, path: str, setting: str) -> None:
    """UK GDPR article 13(1)(b): the data protection officer's contact details; the accessibility
    regulations 2018: how to contact the body about problems. Both come from the configuration."""
    app.config.update({setting: "help@northshire.example", "COUNCIL_POSTAL_ADDRESS": "County Hall, Northtown, NT1 1AA"})
    page = squeezed(app.test_client().get(path).get_data(as_text=True))
    assert '<a class="govuk-link" href="mailto:help@northshire.example">help@northshire.example</a>' in page
    assert "County Hall, Northtown, NT1 1AA" in page
