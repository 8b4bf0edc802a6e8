"""Recovery codes: ten, single-use, stored hashed, shown once, regenerable; one lifts a lockout."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from idp.accounts.models import LoginSession, User
from idp.authn import recovery, totp
from idp.authn.levels import ACR_TWO_FACTOR
from idp.authn.models import RecoveryCode
from idp.extensions import db
from tests.authn.helpers import (
    SoftAuthenticator,
    code_at,
    complete_step_up,
    enrol_totp,
    login_of,
    post_code,
    post_code_at_once,
    register_passkey,
    sign_in_with_code,
)
from tests.web_helpers import post_form, sign_in

RECOVERY = "/sign-in/second-factor/recovery-code"


def shown_codes(html: str) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", html)


def test_ten_codes_are_shown_once_when_the_first_factor_is_set_up(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: 10 single-use recovery codes stored hashed."""
    signed_in.get("/account/security/authenticator-app")
    secret = totp.secret_of(totp.factor_of(user))
    codes = shown_codes(post_code(signed_in, "/account/security/authenticator-app", code_at(secret)).get_data(True))
    assert len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_digest).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert shown_codes(signed_in.get("/account/security").get_data(as_text=True)) == []


def test_a_recovery_code_signs_in_once_only(app: Flask, user: User) -> None:
    enrol_totp(user)
    code = recovery.generate(user)[3]
    first, second = app.test_client(), app.test_client()
    sign_in(first, user.email or "")
    assert post_form(first, RECOVERY, {"code": code}).status_code == 302
    assert login_of(user).acr == ACR_TWO_FACTOR.value and login_of(user).amr_list == ["pwd", "otp"]
    sign_in(second, user.email or "")
    again = post_form(second, RECOVERY, {"code": code})
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert recovery.remaining(user) == 9


def test_one_recovery_code_sent_twenty_times_at_once_signs_in_once(app: Flask, user: User) -> None:
    """Single use also under concurrent submission: 20 threads post the same code for one pending sign-in."""
    app.config["SECOND_FACTOR_LIMIT"] = "1000 per minute"  # let every request reach the database
    enrol_totp(user)
    code = recovery.generate(user)[0]
    browser = app.test_client()
    sign_in(browser, user.email or "")
    statuses = post_code_at_once(app, browser, RECOVERY, code)
    assert statuses.count(302) == 1 and statuses.count(400) == 19
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    assert recovery.remaining(user) == 9


def test_a_recovery_code_is_accepted_as_typed_from_paper(client: FlaskClient, user: User) -> None:
    enrol_totp(user)
    code = recovery.generate(user)[0]
    sign_in(client, user.email or "")
    assert post_form(client, RECOVERY, {"code": " " + code.upper().replace("-", " ")}).status_code == 302


def test_a_recovery_code_lifts_the_lock_on_the_authenticator_app(app: Flask, user: User) -> None:
    """Issue brief: unlocking by time or by a recovery code."""
    secret = enrol_totp(user)
    code = recovery.generate(user)[0]
    locked = app.test_client()
    sign_in(locked, user.email or "")
    for _ in range(5):
        post_code(locked, "/sign-in/second-factor", "000000" if code_at(secret) != "000000" else "111111")
    assert post_code(locked, "/sign-in/second-factor", code_at(secret)).status_code == 429
    assert post_form(locked, RECOVERY, {"code": code}).status_code == 302
    assert sign_in_with_code(app.test_client(), user, secret).status_code == 302


def test_regenerating_replaces_every_old_code(signed_in: FlaskClient, user: User) -> None:
    secret = enrol_totp(user)
    old = recovery.generate(user)
    # A fresh sign-in with the strongest factor held (now the app) comes first.
    assert complete_step_up(signed_in, "/account/security/recovery-codes", secret).status_code == 200
    new = shown_codes(post_form(signed_in, "/account/security/recovery-codes", {}).get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert recovery.remaining(user) == 10
    sign_in(signed_in, user.email or "")
    assert post_form(signed_in, RECOVERY, {"code": old[0]}).status_code == 400


def test_a_first_passkey_leads_to_its_recovery_codes_without_another_step_up(
    signed_in: FlaskClient, user: User
) -> None:
    """The codes come with the first factor; after a passkey (added by fetch()) they are one click away."""
    answer = register_passkey(signed_in, SoftAuthenticator())
    assert answer.get_json()["redirect"] == "/account/security/recovery-codes"
    codes = shown_codes(post_form(signed_in, "/account/security/recovery-codes", {}).get_data(as_text=True))
    assert len(codes) == 10
    assert signed_in.get("/account/security/recovery-codes").status_code == 302  # later: step up first


def test_wrong_recovery_codes_are_throttled_per_person(app: Flask, user: User) -> None:
    """Issue 5: wrong codes throttled. A locked authenticator app leaves recovery codes as the way in, so
    their page counts wrong answers per person (``SECOND_FACTOR_LIMIT``), across browsers too."""
    app.config["SECOND_FACTOR_LIMIT"] = "3 per minute"
    enrol_totp(user)
    code = recovery.generate(user)[0]
    first, second = app.test_client(), app.test_client()
    sign_in(first, user.email or "")
    statuses = [post_form(first, RECOVERY, {"code": "aaaaa-aaaaa"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    sign_in(second, user.email or "")
    refused = post_form(second, RECOVERY, {"code": code})  # even the right code waits
    assert refused.status_code == 429
    assert recovery.remaining(user) == 10
