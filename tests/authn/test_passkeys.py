"""Passkeys: registration and assertion ceremonies with a software authenticator, driven through the
real JSON endpoints that idp/static/passkeys.js calls."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from idp.accounts.models import LoginSession, User
from idp.authn import passkeys
from idp.authn.levels import ACR_PASSKEY
from idp.authn.models import Passkey, WebAuthnCeremony
from idp.extensions import db
from tests.authn.helpers import SoftAuthenticator, json_post, passkey_csrf_token, register_passkey, use_passkey
from tests.builders import create_user
from tests.web_helpers import sign_in


def sessions_of(user: User) -> list[LoginSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)))


def newest_session(user: User) -> LoginSession:
    return max(sessions_of(user), key=lambda login: login.created_at)


def test_a_passkey_is_registered_with_the_software_authenticator(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: passkeys (WebAuthn, `webauthn` package) as a phishing-resistant factor."""
    authenticator = SoftAuthenticator()
    response = register_passkey(signed_in, authenticator, "My phone")
    assert response.status_code == 200, response.get_data(as_text=True)
    [passkey] = passkeys.passkeys_of(user)
    assert passkey.name == "My phone" and passkey.device_type == "single_device"
    assert passkey.transports == "internal hybrid"


def test_registration_options_name_the_issuer_host_as_relying_party(signed_in: FlaskClient) -> None:
    options = json_post(signed_in, "/account/security/passkeys/options", {}, "/account/security/passkeys/new")
    body = options.get_json()
    assert body["rp"]["id"] == "localhost"
    assert body["authenticatorSelection"]["userVerification"] == "required"


def test_a_challenge_is_answered_once_even_with_a_replayed_cookie(
    signed_in: FlaskClient, app: Flask, user: User
) -> None:
    """The challenge lives server-side: a copy of the browser's cookie cannot answer it a second time."""
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    browser, copy = app.test_client(), app.test_client()
    token = passkey_csrf_token(browser, "/sign-in/passkey")
    options = json_post(browser, "/sign-in/passkey/options", {"purpose": "sign-in"}, "", token).get_json()
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
    copy.set_cookie(cookie.key, cookie.value)
    body = {"purpose": "sign-in", "credential": authenticator.get(options)}
    assert json_post(browser, "/sign-in/passkey", body, "", token).status_code == 200
    replay = json_post(copy, "/sign-in/passkey", body, "", token)
    assert replay.status_code == 400 and replay.get_json()["error"] == "passkey_failed"
    assert db.session.scalar(select(WebAuthnCeremony.id)) is None


def test_a_registration_for_another_origin_is_refused(signed_in: FlaskClient, user: User) -> None:
    page = "/account/security/passkeys/new"
    options = json_post(signed_in, "/account/security/passkeys/options", {}, page).get_json()
    credential = SoftAuthenticator().create(options, origin="https://logbook.example.net")
    assert json_post(signed_in, "/account/security/passkeys", {"credential": credential}, page).status_code == 400
    assert passkeys.passkeys_of(user) == []


def test_signing_in_with_a_passkey_alone_gives_the_passkey_level(
    signed_in: FlaskClient, app: Flask, user: User
) -> None:
    """A passkey sign-in gives ACR_PASSKEY with amr ["hwk", "user"] for a device-bound key (RFC 8176)."""
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    browser = app.test_client()
    response = use_passkey(browser, authenticator, "sign-in", "/sign-in/passkey", next="/account/security")
    assert response.status_code == 200 and response.get_json()["redirect"] == "/account/security"
    newest = newest_session(user)
    assert newest.acr == ACR_PASSKEY.value and newest.amr_list == ["hwk", "user"]


def test_a_synced_passkey_is_reported_as_a_software_key(signed_in: FlaskClient, app: Flask, user: User) -> None:
    authenticator = SoftAuthenticator(synced=True)
    register_passkey(signed_in, authenticator)
    use_passkey(app.test_client(), authenticator, "sign-in", "/sign-in/passkey")
    assert newest_session(user).amr_list == ["swk", "user"]


def test_a_passkey_completes_sign_in_after_the_password(app: Flask, user: User, signed_in: FlaskClient) -> None:
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    browser = app.test_client()
    assert sign_in(browser, user.email or "").headers["Location"] == "/sign-in/second-factor"
    response = use_passkey(browser, authenticator, "second-factor", "/sign-in/second-factor")
    assert response.status_code == 200
    newest = newest_session(user)
    assert newest.acr == ACR_PASSKEY.value and newest.amr_list == ["pwd", "hwk", "user"]


def test_an_assertion_without_user_verification_is_refused(app: Flask, user: User, signed_in: FlaskClient) -> None:
    """User verification is required for the passkey level."""
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    authenticator.user_verifying = False
    response = use_passkey(app.test_client(), authenticator, "sign-in", "/sign-in/passkey")
    assert response.status_code == 400


def test_a_signature_counter_that_goes_backwards_is_refused(app: Flask, user: User, signed_in: FlaskClient) -> None:
    """The sign count is checked: a counter that did not move on suggests a cloned authenticator."""
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    assert use_passkey(app.test_client(), authenticator, "sign-in", "/sign-in/passkey", sign_count=7).status_code == 200
    cloned = use_passkey(app.test_client(), authenticator, "sign-in", "/sign-in/passkey", sign_count=7)
    assert cloned.status_code == 400
    assert db.session.scalar(select(Passkey.sign_count)) == 7


def test_a_passkey_of_another_account_cannot_complete_this_sign_in(
    app: Flask, user: User, signed_in: FlaskClient
) -> None:
    register_passkey(signed_in, SoftAuthenticator())
    other = create_user(email="other@example.org")
    theirs = SoftAuthenticator()
    browser = app.test_client()
    sign_in(browser, other.email or "")
    register_passkey(browser, theirs)
    pending = app.test_client()
    sign_in(pending, user.email or "")
    response = use_passkey(pending, theirs, "second-factor", "/sign-in/second-factor")
    assert response.status_code == 400
    assert len(sessions_of(user)) == 1  # only the browser that registered the passkey


def test_a_malformed_credential_is_a_clear_400(app: Flask, user: User) -> None:
    """Bad input → a clear 4xx, never a 500."""
    browser = app.test_client()
    token = passkey_csrf_token(browser, "/sign-in/passkey")
    for credential in (None, "garbage", {"id": 3}, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {}}):
        json_post(browser, "/sign-in/passkey/options", {"purpose": "sign-in"}, "", token)
        answer = json_post(browser, "/sign-in/passkey", {"purpose": "sign-in", "credential": credential}, "", token)
        assert answer.status_code == 400 and answer.get_json()["error"] == "passkey_failed"
