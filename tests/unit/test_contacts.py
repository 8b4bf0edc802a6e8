"""Contacts are normalised so that one person cannot register the same address twice, written two ways."""

from __future__ import annotations

import pytest

from idp.accounts.contacts import EMAIL, PHONE, normalise_email, normalise_uk_mobile, parse_contact, throttle_key
from idp.accounts.devices import describe_device
from idp.accounts.errors import InvalidContact


@pytest.mark.parametrize("typed", ["07911 123456", "+44 7911 123456", "(07911) 123 456", "0044 7911 123456"])
def test_uk_mobile_numbers_are_stored_in_e164(typed: str) -> None:
    assert normalise_uk_mobile(typed) == "+447911123456"


def test_ofcoms_drama_numbers_are_accepted_for_examples_and_tests() -> None:
    assert normalise_uk_mobile("07700 900 982") == "+447700900982"


@pytest.mark.parametrize("typed", ["020 7946 0000", "+1 202 555 0100", "12345", "not a number", ""])
def test_landlines_foreign_and_malformed_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidContact):
        normalise_uk_mobile(typed)


def test_email_addresses_are_lower_cased() -> None:
    assert normalise_email("  Jo.Bloggs@Example.ORG ") == "jo.bloggs@example.org"


@pytest.mark.parametrize("typed", ["jo@", "@example.org", "jo bloggs@example.org", "jo@example"])
def test_malformed_email_addresses_are_refused(typed: str) -> None:
    with pytest.raises(InvalidContact):
        normalise_email(typed)


def test_sign_in_input_is_read_as_email_or_phone() -> None:
    assert parse_contact("Jo@Example.org") == (EMAIL, "jo@example.org")
    assert parse_contact("07911 123456") == (PHONE, "+447911123456")


def test_one_account_has_one_throttle_key_however_it_is_typed() -> None:
    assert throttle_key("07911 123456") == throttle_key("+447911123456")
    assert throttle_key("JO@example.org") == throttle_key("jo@example.org")


@pytest.mark.parametrize(
    ("agent", "described"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
            "Safari on iPhone",
        ),
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36", "Chrome on Android"),
        (None, "Unknown device"),
    ],
)
def test_devices_are_described_for_the_sessions_page(agent: str | None, described: str) -> None:
    assert describe_device(agent) == described
