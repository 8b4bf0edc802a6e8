"""Email addresses and UK mobile numbers: validated and normalised (lower-case email, E.164 numbers)
so that one person cannot hold two accounts by writing the same address two ways."""

from __future__ import annotations

import hashlib

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from idp.accounts.errors import InvalidContact

EMAIL = "email"
PHONE = "phone"
UK_COUNTRY_CODE = 44
MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE}
# Ofcom reserves 07700 900000-900999 for drama and examples; libphonenumber calls them invalid, but
# our hints, tests and demos use them, and a text to one of them reaches nobody.
OFCOM_FICTION_PREFIX = "7700900"


def normalise_email(value: str) -> str:
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidContact("Enter an email address in the correct format, like name@example.com") from error
    return result.normalized.lower()


def normalise_uk_mobile(value: str) -> str:
    """A UK mobile number in E.164 (``+447700900123``), from ``07700 900123``, ``+44 7700 900123`` etc."""
    try:
        number = phonenumbers.parse(value.strip(), "GB")
    except phonenumbers.NumberParseException as error:
        raise InvalidContact("Enter a UK mobile number, like 07700 900 982") from error
    if number.country_code != UK_COUNTRY_CODE:
        raise InvalidContact("Enter a UK mobile number, like 07700 900 982")
    if _is_fictional(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("Enter a UK mobile number, like 07700 900 982")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidContact("Enter a UK mobile number that can receive text messages, like 07700 900 982")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_fictional(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return len(national) == 10 and national.startswith(OFCOM_FICTION_PREFIX)


def parse_contact(value: str) -> tuple[str, str]:
    """What a person typed into "email address or phone number": ``(channel, normalised value)``."""
    if "@" in value:
        return EMAIL, normalise_email(value)
    return PHONE, normalise_uk_mobile(value)


def throttle_key(value: str) -> str:
    """A stable, non-reversible key for per-account limits, also for input that is not a valid contact."""
    try:
        _, normalised = parse_contact(value)
    except InvalidContact:
        normalised = value.strip().lower()
    return hashlib.sha256(normalised.encode()).hexdigest()[:32]


def display_phone(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
