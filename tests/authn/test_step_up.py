"""Step-up: /sign-in/step-up raises the level of the current session or re-authenticates it."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.authn import services
from idp.authn.levels import ACR_PASSKEY, ACR_PASSWORD, ACR_TWO_FACTOR
from idp.authn.step_up import was_cancelled
from tests.authn.helpers import (
    SoftAuthenticator,
    age_session,
    code_at,
    complete_step_up,
    enrol_totp,
    login_of,
    post_code,
    register_passkey,
    sign_in_with_code,
)
from tests.web_helpers import post_form


def step_up(next_url: str = "/account", **params: object) -> str:
    return "/sign-in/step-up?" + urlencode({"next": next_url, **params})


def test_step_up_to_two_factor_raises_acr_rotates_the_session_token_and_renews_auth_time(
    app: Flask, signed_in: FlaskClient, user: User
) -> None:
    """Issue 5: session id rotates on step-up; the elevated session carries the new acr and auth_time."""
    secret = enrol_totp(user)
    age_session(user, 120)
    before = login_of(user)
    old_digest, old_auth_time = before.token_digest, before.auth_time
    old_cookie = signed_in.get_cookie(app.config["SESSION_COOKIE_NAME"])
    response = signed_in.get(step_up(acr=ACR_TWO_FACTOR.value))
    assert response.headers["Location"] == "/sign-in/step-up/code"
    done = post_code(signed_in, "/sign-in/step-up/code", code_at(secret))
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    after = login_of(user)
    assert after.acr == ACR_TWO_FACTOR.value and after.amr_list == ["pwd", "otp"]
    assert after.token_digest != old_digest and after.auth_time > old_auth_time
    stale = app.test_client()
    stale.set_cookie(old_cookie.key, old_cookie.value)
    assert stale.get("/account").status_code == 302  # the old cookie no longer opens the session


def test_max_age_asks_for_the_password_again_when_the_sign_in_is_older(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: `max_age` (re-authentication when older)."""
    age_session(user, 600)
    assert signed_in.get(step_up(max_age=300)).headers["Location"] == "/sign-in/step-up/password"
    wrong = post_form(signed_in, "/sign-in/step-up/password", {"password": "not my password at all"})
    assert wrong.status_code == 400
    right = post_form(signed_in, "/sign-in/step-up/password", {"password": "correct horse battery staple"})
    assert right.headers["Location"] == "/account"
    assert services.is_fresh(login_of(user), 5) and login_of(user).acr == ACR_PASSWORD.value


def test_an_old_two_factor_session_needs_both_password_and_code_again(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Re-authentication repeats the session's own level: a password alone never renews a two-factor one."""
    secret = enrol_totp(user)
    sign_in_with_code(client, user, secret)
    age_session(user, 600)
    assert client.get(step_up(max_age=60)).headers["Location"] == "/sign-in/step-up/password"
    after_password = post_form(client, "/sign-in/step-up/password", {"password": "correct horse battery staple"})
    assert after_password.headers["Location"] == "/sign-in/step-up/code"
    assert not services.is_fresh(login_of(user), 60)
    done = post_code(client, "/sign-in/step-up/code", code_at(secret, 1))
    assert done.headers["Location"] == "/account" and services.is_fresh(login_of(user), 60)


def test_a_session_strong_and_recent_enough_goes_straight_on(signed_in: FlaskClient) -> None:
    response = signed_in.get(step_up("/vault", acr=ACR_PASSWORD.value, max_age=300))
    assert response.status_code == 302 and response.headers["Location"] == "/vault"


def test_next_must_be_a_local_path(signed_in: FlaskClient) -> None:
    response = signed_in.get(step_up("https://evil.example/steal", acr=ACR_PASSWORD.value))
    assert response.headers["Location"] == "/"


def test_without_a_session_step_up_sends_the_browser_to_sign_in_first(client: FlaskClient, user: User) -> None:
    response = client.get(step_up(acr=ACR_TWO_FACTOR.value))
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_an_unknown_level_is_a_clear_400(signed_in: FlaskClient) -> None:
    response = signed_in.get(step_up(acr="urn:example:gold"))
    assert response.status_code == 400


def test_a_max_age_that_is_not_a_whole_number_of_seconds_is_a_clear_400(signed_in: FlaskClient) -> None:
    for value in ("-1", "1.5", "²", "9" * 30, "soon"):
        assert signed_in.get(step_up(max_age=value)).status_code == 400, value


def test_a_level_the_person_cannot_reach_is_explained_with_set_up_and_cancel(signed_in: FlaskClient) -> None:
    """Issue 5: a requested level the person cannot reach returns `unmet_authentication_requirements`: the
    page offers to set up a factor, and Cancel returns to `next` with the marker step_up=cancelled."""
    next_url = "/oauth2/authorize?client_id=gp&state=xyz"
    response = signed_in.get(step_up(next_url, acr=ACR_PASSKEY.value))
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "You need a stronger way to sign in" in html
    assert 'href="/account/security"' in html
    assert 'href="/oauth2/authorize?client_id=gp&amp;state=xyz&amp;step_up=cancelled"' in html


def test_the_cancel_marker_is_recognised_on_the_next_request() -> None:
    assert was_cancelled({"step_up": "cancelled"}) and not was_cancelled({"state": "cancelled"})


def test_step_up_to_the_passkey_level_uses_the_passkey(signed_in: FlaskClient, user: User) -> None:
    authenticator = SoftAuthenticator()
    register_passkey(signed_in, authenticator)
    response = signed_in.get(step_up(acr=ACR_PASSKEY.value))
    assert response.headers["Location"] == "/sign-in/step-up/passkey"
    assert complete_step_up(signed_in, step_up(acr=ACR_PASSKEY.value), authenticator=authenticator).status_code
    assert login_of(user).acr == ACR_PASSKEY.value and login_of(user).amr_list == ["pwd", "hwk", "user"]


def test_reachable_acr_follows_the_factors_held(app: Flask, user: User) -> None:
    assert services.reachable_acr(user) == ACR_PASSWORD.value
    enrol_totp(user)
    assert services.reachable_acr(user) == ACR_TWO_FACTOR.value


def test_strongest_factor_fresh_needs_both_the_strongest_level_and_a_recent_sign_in(
    signed_in: FlaskClient, user: User
) -> None:
    assert services.strongest_factor_fresh(login_of(user), 300)
    age_session(user, 600)
    assert not services.strongest_factor_fresh(login_of(user), 300)
    assert services.strongest_factor_fresh(login_of(user), 900)
    enrol_totp(user)
    assert not services.strongest_factor_fresh(login_of(user), 900)
