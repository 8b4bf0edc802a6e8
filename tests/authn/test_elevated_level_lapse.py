"""An elevated level lapses after a configurable time (ELEVATED_LEVEL_LIFETIME)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.authn.levels import ACR_PASSWORD, ACR_TWO_FACTOR
from tests.authn.helpers import age_session, enrol_totp, login_of, sign_in_with_code

STEP_UP_TO_TWO_FACTOR = "/sign-in/step-up?" + urlencode({"next": "/account", "acr": ACR_TWO_FACTOR.value})


def test_a_two_factor_session_older_than_the_elevated_lifetime_is_asked_for_the_second_factor_again(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Issue 5: an elevated level lapses after a configurable time per policy."""
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    age_session(user, int(app.config["ELEVATED_LEVEL_LIFETIME"].total_seconds()) + 1)
    assert client.get(STEP_UP_TO_TWO_FACTOR).headers["Location"] == "/sign-in/step-up/code"
    assert login_of(user).acr == ACR_PASSWORD.value


def test_a_two_factor_session_within_the_elevated_lifetime_keeps_its_level(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Issue 5: the level lapses only after the configured time, not before."""
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    age_session(user, int(app.config["ELEVATED_LEVEL_LIFETIME"].total_seconds()) - 60)
    assert client.get(STEP_UP_TO_TWO_FACTOR).headers["Location"] == "/account"
    assert login_of(user).acr == ACR_TWO_FACTOR.value


def test_the_elevated_lifetime_is_configurable(app: Flask, client: FlaskClient, user: User) -> None:
    """Issue 5: the lapse time is set per policy (ELEVATED_LEVEL_LIFETIME)."""
    from datetime import timedelta

    app.config["ELEVATED_LEVEL_LIFETIME"] = timedelta(minutes=5)
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    age_session(user, 301)
    assert client.get(STEP_UP_TO_TWO_FACTOR).headers["Location"] == "/sign-in/step-up/code"
