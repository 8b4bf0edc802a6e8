"""Authenticator-app codes (TOTP): enrolment, sign-in, one-time acceptance, throttling and lockout."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from idp.accounts.models import LoginSession, User
from idp.authn import totp
from idp.authn.levels import ACR_PASSWORD, ACR_TWO_FACTOR
from idp.authn.models import TotpFactor
from idp.database import utcnow
from idp.extensions import db
from tests.authn.helpers import (
    age_session,
    code_at,
    enrol_totp,
    login_of,
    post_code,
    post_code_at_once,
    sign_in_with_code,
)
from tests.builders import DEFAULT_PASSWORD
from tests.web_helpers import post_form, sign_in

SECOND_FACTOR = "/sign-in/second-factor"


def wrong_code(secret: str) -> str:
    valid = {code_at(secret, offset) for offset in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in valid)


def test_enrolment_shows_a_qr_code_image_and_the_key_as_text(signed_in: FlaskClient) -> None:
    """Issue 5: TOTP enrolled by scanning a QR code (rendered server-side, no external service)."""
    html = signed_in.get("/account/security/authenticator-app").get_data(as_text=True)
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR code', html)
    assert re.search(r'<code id="totp-secret">([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>', html)


def test_enrolment_becomes_active_only_after_a_right_code(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: ... and confirming a code."""
    signed_in.get("/account/security/authenticator-app")
    secret = totp.secret_of(totp.factor_of(user))
    assert post_code(signed_in, "/account/security/authenticator-app", wrong_code(secret)).status_code == 400
    assert totp.active_factor(user) is None
    response = post_code(signed_in, "/account/security/authenticator-app", code_at(secret))
    assert response.status_code == 200 and "Your recovery codes" in response.get_data(as_text=True)
    assert totp.active_factor(user) is not None


def test_the_secret_is_stored_encrypted(app: Flask, user: User) -> None:
    secret = enrol_totp(user)
    stored = db.session.scalar(select(TotpFactor.secret_sealed).where(TotpFactor.user_id == user.id))
    assert secret not in stored and pyotp.TOTP(secret).secret.encode() not in stored.encode()
    assert totp.secret_of(totp.factor_of(user)) == secret


def test_without_a_second_factor_sign_in_ends_at_the_password_level(client: FlaskClient, user: User) -> None:
    response = sign_in(client, user.email or "")
    assert response.status_code == 302 and response.headers["Location"] != SECOND_FACTOR
    assert login_of(user).acr == ACR_PASSWORD.value and login_of(user).amr_list == ["pwd"]


def test_with_an_authenticator_app_sign_in_asks_for_a_code_before_any_session(client: FlaskClient, user: User) -> None:
    enrol_totp(user)
    response = sign_in(client, user.email or "")
    assert response.headers["Location"] == SECOND_FACTOR
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
    assert client.get("/account").status_code == 302  # pending is not signed in


def test_a_right_code_starts_a_two_factor_session(client: FlaskClient, user: User) -> None:
    """A session after password and code has acr two-factor and amr ["pwd", "otp"] (RFC 8176)."""
    secret = enrol_totp(user)
    response = sign_in_with_code(client, user, secret)
    assert response.status_code == 302
    login = login_of(user)
    assert login.acr == ACR_TWO_FACTOR.value and login.amr_list == ["pwd", "otp"]


def test_a_code_is_refused_when_used_again_in_the_same_time_step(app: Flask, user: User) -> None:
    """Issue 5: a code is accepted once only (replay in the same time step refused)."""
    secret = enrol_totp(user)
    assert sign_in_with_code(app.test_client(), user, secret).status_code == 302
    replay = sign_in_with_code(app.test_client(), user, secret)
    assert replay.status_code == 400 and "already been used" in replay.get_data(as_text=True)


def test_an_earlier_code_is_refused_once_a_later_one_was_used(app: Flask, user: User) -> None:
    """RFC 6238 section 5.2: once a step's code is accepted, no code of that step or an earlier one is.
    Both codes are inside the drift window, so only the one-time rule refuses the earlier one."""
    secret = enrol_totp(user)
    later = app.test_client()
    sign_in(later, user.email or "")
    assert post_code(later, SECOND_FACTOR, code_at(secret, 1)).status_code == 302
    earlier = app.test_client()
    sign_in(earlier, user.email or "")
    refused = post_code(earlier, SECOND_FACTOR, code_at(secret, 0))
    assert refused.status_code == 400 and "already been used" in refused.get_data(as_text=True)


def test_a_code_used_to_sign_in_cannot_be_used_again_to_step_up(app: Flask, user: User) -> None:
    secret = enrol_totp(user)
    browser = app.test_client()
    assert sign_in_with_code(browser, user, secret).status_code == 302
    age_session(user, 600)
    browser.get("/sign-in/step-up?next=/account&max_age=60")  # too old: password, then the code again
    after_password = post_form(browser, "/sign-in/step-up/password", {"password": DEFAULT_PASSWORD})
    assert after_password.headers["Location"] == "/sign-in/step-up/code"
    replay = post_code(browser, "/sign-in/step-up/code", code_at(secret))
    assert replay.status_code == 400 and "already been used" in replay.get_data(as_text=True)
    assert (utcnow() - login_of(user).auth_time).total_seconds() >= 600  # not renewed


def test_one_code_sent_twenty_times_at_once_is_accepted_once(app: Flask, user: User) -> None:
    """Issue 5: ... also under concurrent submission. 20 threads, each its own app context and database
    connection, post the same code for the same pending sign-in at the same moment."""
    app.config["SECOND_FACTOR_LIMIT"] = "1000 per minute"  # let every request reach the database
    secret = enrol_totp(user)
    browser = app.test_client()
    sign_in(browser, user.email or "")
    statuses = post_code_at_once(app, browser, SECOND_FACTOR, code_at(secret))
    assert statuses.count(302) == 1 and statuses.count(400) == 19
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_the_factor_locks_after_five_wrong_codes_even_for_a_right_one(client: FlaskClient, user: User) -> None:
    """Issue 5: wrong codes throttled and the factor locked after repeated failures, separately from the
    password."""
    secret = enrol_totp(user)
    sign_in(client, user.email or "")
    statuses = [post_code(client, SECOND_FACTOR, wrong_code(secret)).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    locked = post_code(client, SECOND_FACTOR, code_at(secret))
    assert locked.status_code == 429 and "locked until" in locked.get_data(as_text=True)
    assert "locked until" in client.get(SECOND_FACTOR).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_the_lock_lifts_when_its_time_has_passed(client: FlaskClient, user: User) -> None:
    secret = enrol_totp(user)
    sign_in(client, user.email or "")
    for _ in range(5):
        post_code(client, SECOND_FACTOR, wrong_code(secret))
    # Fifteen minutes pass: move the lock's end into the past rather than sleeping.
    db.session.execute(update(TotpFactor).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert post_code(client, SECOND_FACTOR, code_at(secret)).status_code == 302


def test_the_lockout_does_not_lock_the_password(client: FlaskClient, user: User) -> None:
    secret = enrol_totp(user)
    sign_in(client, user.email or "")
    for _ in range(5):
        post_code(client, SECOND_FACTOR, wrong_code(secret))
    assert sign_in(client, user.email or "").headers["Location"] == SECOND_FACTOR


def test_wrong_codes_while_setting_up_do_not_lock_the_app(signed_in: FlaskClient, user: User) -> None:
    """Someone reading the key off the screen has nothing to guess: typing mistakes never lock them out."""
    signed_in.get("/account/security/authenticator-app")
    secret = totp.secret_of(totp.factor_of(user))
    for _ in range(6):
        assert post_code(signed_in, "/account/security/authenticator-app", wrong_code(secret)).status_code == 400
    assert post_code(signed_in, "/account/security/authenticator-app", code_at(secret)).status_code == 200
    assert totp.active_factor(user) is not None
