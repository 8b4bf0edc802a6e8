"""The person's security settings under /account/security: listing and removing factors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.authn import passkeys, recovery, totp
from idp.authn.levels import ACR_PASSKEY, ACR_TWO_FACTOR
from tests.authn.helpers import (
    SoftAuthenticator,
    age_session,
    complete_step_up,
    enrol_totp,
    passkey_csrf_token,
    register_passkey,
    sign_in_with_code,
)
from tests.web_helpers import post_form

REMOVE_APP = "/account/security/authenticator-app/remove"


def test_the_security_page_lists_the_factors_held(signed_in: FlaskClient, user: User) -> None:
    register_passkey(signed_in, SoftAuthenticator(), "Kitchen laptop")
    enrol_totp(user)
    html = signed_in.get("/account/security").get_data(as_text=True)
    assert "Kitchen laptop" in html and "Authenticator app" in html and "Remove" in html


def test_removing_a_factor_without_a_fresh_strong_sign_in_asks_for_one(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: removing a factor ... needs a fresh sign-in with the strongest factor held."""
    enrol_totp(user)  # the session is password-only: the strongest factor now held is the app
    response = signed_in.get(REMOVE_APP)
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in/step-up"
    assert parse_qs(target.query) == {"next": [REMOVE_APP], "acr": [ACR_TWO_FACTOR.value], "max_age": ["300"]}
    token = passkey_csrf_token(signed_in, "/sign-in/passkey")  # any page's token: the form is never shown
    refused = signed_in.post(REMOVE_APP, data={"csrf_token": token})
    assert urlsplit(refused.headers["Location"]).path == "/sign-in/step-up"
    assert totp.active_factor(user) is not None


def test_a_two_factor_sign_in_that_is_no_longer_fresh_must_be_repeated(client: FlaskClient, user: User) -> None:
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    age_session(user, 600)
    assert urlsplit(client.get(REMOVE_APP).headers["Location"]).path == "/sign-in/step-up"


def test_after_stepping_up_the_app_can_be_removed_and_its_recovery_codes_go_too(
    signed_in: FlaskClient, user: User
) -> None:
    secret = enrol_totp(user)
    recovery.generate(user)
    page = complete_step_up(signed_in, REMOVE_APP, secret)
    assert page.status_code == 200 and "Are you sure" in page.get_data(as_text=True)
    assert post_form(signed_in, REMOVE_APP, {}).headers["Location"] == "/account/security"
    assert totp.active_factor(user) is None and recovery.remaining(user) == 0


def test_removing_a_passkey_needs_the_passkey_itself_when_it_is_the_strongest(
    signed_in: FlaskClient, user: User
) -> None:
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    [passkey] = passkeys.passkeys_of(user)
    url = f"/account/security/passkeys/{passkey.id}/remove"
    step = urlsplit(signed_in.get(url).headers["Location"])
    assert parse_qs(step.query)["acr"] == [ACR_PASSKEY.value]
    assert complete_step_up(signed_in, url, authenticator=authenticator).status_code == 200
    assert post_form(signed_in, url, {}).status_code == 302
    assert passkeys.passkeys_of(user) == []


def test_another_persons_passkey_cannot_be_removed(signed_in: FlaskClient, user: User) -> None:
    assert signed_in.get("/account/security/passkeys/0123456789abcdef0123456789abcdef/remove").status_code == 404
