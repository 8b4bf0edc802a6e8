"""ui_locales (OIDC Core section 3.1.2.1): "End-User's preferred languages and scripts for the user
interface ... An error SHOULD NOT result if some or all of the requested locales are not supported".

Logbook offers British English only (idp/locales.py); the choice reaches each page's <html lang>.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.locales import negotiate
from tests.oauth.helpers import authorize, make_rp, redirect_params, signed_in_user


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, "no <html lang> on the page"
    return match.group(1)


def test_discovery_offers_british_english_only(client: FlaskClient) -> None:
    assert client.get("/.well-known/openid-configuration").get_json()["ui_locales_supported"] == ["en-GB"]


@pytest.mark.parametrize("ui_locales", ["cy", "cy-GB fr", "en-GB", "EN-gb cy", "☃ !!", "x" * 300, "a " * 200])
def test_any_ui_locales_value_is_a_preference_never_an_error(app: Flask, client: FlaskClient, ui_locales: str) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    assert "code" in redirect_params(authorize(client, rp, ui_locales=ui_locales))


def test_the_sign_in_page_an_authorization_request_leads_to_is_in_british_english(
    app: Flask, client: FlaskClient
) -> None:
    rp = make_rp(organisation_type="council_service")
    sign_in_page = client.get(authorize(client, rp, ui_locales="cy en").headers["Location"])
    assert sign_in_page.status_code == 200
    assert html_lang(sign_in_page.get_data(as_text=True)) == "en-GB"


def test_the_consent_page_is_in_british_english_when_welsh_is_asked_for(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="landlord", scope="openid profile")
    signed_in_user(client)
    consent_page = authorize(client, rp, scope="openid profile", ui_locales="cy")
    assert consent_page.status_code == 200
    assert html_lang(consent_page.get_data(as_text=True)) == "en-GB"


def test_pages_outside_an_authorization_request_are_in_british_english(client: FlaskClient) -> None:
    assert html_lang(client.get("/sign-in").get_data(as_text=True)) == "en-GB"


def test_the_first_supported_locale_in_the_list_is_chosen() -> None:
    assert negotiate("fr cy en-GB", supported=("en-GB", "cy")) == "cy"
    assert negotiate("fr EN-gb", supported=("en-GB", "cy")) == "en-GB"


def test_a_language_without_our_region_gets_our_variant_of_it() -> None:
    assert negotiate("en-US") == "en-GB" and negotiate("en") == "en-GB"


def test_nothing_supported_falls_back_to_british_english() -> None:
    assert negotiate("cy fr-CA zz") == "en-GB" and negotiate(None) == "en-GB" and negotiate("") == "en-GB"
