"""Issue 5: "Removing a factor, or changing password or contact details, needs a fresh sign-in with the
strongest factor held." Every such page, checked against the same three rules: a session below the
strongest factor the person holds is sent to step up to it, a stale one is sent to sign in again, and
a fresh one at that level goes straight in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.authn import passkeys, recovery
from idp.authn.levels import ACR_PASSKEY, ACR_TWO_FACTOR
from tests.authn.helpers import SoftAuthenticator, age_session, complete_step_up, enrol_totp, register_passkey

SENSITIVE_PAGES = [
    "/account/password",
    "/account/contact",
    "/account/contact/confirm",
    "/account/security/authenticator-app/remove",
    "/account/security/recovery-codes",
    "/account/security/passkeys/new",
    "/account/security/passkeys/{passkey}/remove",
]


def _step_up(response: object) -> dict[str, str]:
    location = response.headers.get("Location", "")  # type: ignore[attr-defined]
    assert urlsplit(location).path == "/sign-in/step-up", (response.status_code, location)  # type: ignore[attr-defined]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def _with_app_and_passkey(signed_in: FlaskClient, user: User) -> tuple[str, SoftAuthenticator, str]:
    """The person holds an authenticator app, a passkey and recovery codes; today's sign-in used the
    password only. (Right after a first passkey, its first recovery codes are deliberately made without
    another step-up; holding codes already, that exception does not apply.)"""
    authenticator = SoftAuthenticator()
    assert register_passkey(signed_in, authenticator).status_code == 200
    secret = enrol_totp(user)
    recovery.generate(user)
    return secret, authenticator, passkeys.passkeys_of(user)[0].id


@pytest.mark.parametrize("page", SENSITIVE_PAGES)
def test_a_session_below_the_strongest_factor_held_is_sent_to_step_up_to_it(
    signed_in: FlaskClient, user: User, page: str
) -> None:
    _, _, passkey = _with_app_and_passkey(signed_in, user)
    url = page.format(passkey=passkey)
    assert _step_up(signed_in.get(url)) == {"next": url, "acr": ACR_PASSKEY.value, "max_age": "300"}


@pytest.mark.parametrize("page", SENSITIVE_PAGES[:5])
def test_with_an_app_as_the_strongest_factor_a_password_session_must_add_the_code(
    signed_in: FlaskClient, user: User, page: str
) -> None:
    enrol_totp(user)
    assert _step_up(signed_in.get(page))["acr"] == ACR_TWO_FACTOR.value


@pytest.mark.parametrize("page", SENSITIVE_PAGES)
def test_after_stepping_up_with_the_passkey_each_page_opens(signed_in: FlaskClient, user: User, page: str) -> None:
    secret, authenticator, passkey = _with_app_and_passkey(signed_in, user)
    url = page.format(passkey=passkey)
    response = complete_step_up(signed_in, url, secret=secret, authenticator=authenticator)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:  # pages with nothing to do yet send the person on, not to a step-up
        assert "/sign-in/step-up" not in response.headers["Location"]


@pytest.mark.parametrize("page", SENSITIVE_PAGES[:3])
def test_a_strong_sign_in_older_than_five_minutes_must_be_repeated(
    signed_in: FlaskClient, user: User, page: str
) -> None:
    age_session(user, 301)
    assert _step_up(signed_in.get(page))["max_age"] == "300"
