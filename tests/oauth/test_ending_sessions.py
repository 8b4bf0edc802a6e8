"""Ending a sign-in session ends what was issued in it, whichever way the session ends.

The rule (``idp.accounts.sessions.end_sessions``): the session's token families (``TokenFamily.sid``)
are revoked, so its refresh tokens and access tokens stop working, and every client that received tokens
in it and registered a ``backchannel_logout_uri`` is sent a logout token (OpenID Connect Back-Channel
Logout 1.0 section 2.5) naming the session's ``sid``. Each test signs a browser in at a service, ends the
session one way, and checks both halves through real HTTP: the receiver is a live server on loopback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.builders import DEFAULT_PASSWORD, create_user
from tests.flows import allow_consent
from tests.oauth.forge import claims_of
from tests.oauth.helpers import RP, exchange, make_rp, refresh
from tests.oauth.logout_receiver import LogoutReceiver, running_receiver
from tests.web_helpers import latest_link, post_form, sign_in

EMAIL = "citizen@example.org"
NEW_PASSWORD = "a long and unusual passphrase"
SCOPE = "openid profile email"


@dataclass
class Device:
    """A browser signed in to Logbook that then signed in to ``rp``: its tokens and its session's sid."""

    browser: FlaskClient
    tokens: dict[str, Any]
    sid: str


def sign_in_at(app: Flask, rp: RP) -> Device:
    browser = app.test_client()
    assert sign_in(browser, EMAIL).status_code == 302
    response = exchange(browser, rp, allow_consent(browser, rp, SCOPE))
    tokens = response.get_json()
    return Device(browser, tokens, claims_of(tokens["id_token"])["sid"])


def tokens_refused(http: FlaskClient, rp: RP, device: Device) -> bool:
    """Both halves refused: the refresh token (invalid_grant) and the access token (at userinfo)."""
    refreshed = refresh(http, rp, device.tokens["refresh_token"])
    userinfo = http.get("/userinfo", headers={"Authorization": f"Bearer {device.tokens['access_token']}"})
    refresh_refused = refreshed.status_code == 400 and refreshed.get_json()["error"] == "invalid_grant"
    return refresh_refused and userinfo.status_code == 401


def tokens_work(http: FlaskClient, rp: RP, device: Device) -> bool:
    userinfo = http.get("/userinfo", headers={"Authorization": f"Bearer {device.tokens['access_token']}"})
    return userinfo.status_code == 200 and refresh(http, rp, device.tokens["refresh_token"]).status_code == 200


@pytest.fixture
def rp(app: Flask, receiver: LogoutReceiver) -> RP:
    create_user(email=EMAIL, given_name="Sam", family_name="Jones")
    return make_rp(organisation_type="council_service", scope=SCOPE, backchannel_logout_uri=receiver.uri)


def test_rp_initiated_logout_revokes_the_sessions_tokens_and_tells_its_clients(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    """RP-Initiated Logout 1.0 with a valid id_token_hint: the session ends without asking."""
    device = sign_in_at(app, rp)
    device.browser.get("/logout", query_string={"id_token_hint": device.tokens["id_token"]})
    assert tokens_refused(device.browser, rp, device)
    assert receiver.sids(device.browser) == [device.sid]


def test_confirmed_logout_without_a_hint_does_the_same(app: Flask, rp: RP, receiver: LogoutReceiver) -> None:
    device = sign_in_at(app, rp)
    post_form(device.browser, "/logout/confirm", {}, page_url=f"/logout?client_id={rp.client_id}")
    assert tokens_refused(device.browser, rp, device)
    assert receiver.sids(device.browser) == [device.sid]


def test_the_citizens_own_sign_out_revokes_the_sessions_tokens_and_tells_its_clients(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    device = sign_in_at(app, rp)
    post_form(device.browser, "/sign-out", {})
    assert tokens_refused(device.browser, rp, device)
    assert receiver.sids(device.browser) == [device.sid]


def test_ending_another_device_from_the_sessions_list_ends_only_what_was_issued_there(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    elsewhere, here = sign_in_at(app, rp), sign_in_at(app, rp)
    post_form(here.browser, f"/account/sessions/{elsewhere.sid}/sign-out", {}, page_url="/account/sessions")
    assert tokens_refused(here.browser, rp, elsewhere)
    assert receiver.sids(here.browser) == [elsewhere.sid]
    assert tokens_work(here.browser, rp, here)


def test_ending_this_device_from_the_sessions_list_ends_what_was_issued_here(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    here = sign_in_at(app, rp)
    post_form(here.browser, f"/account/sessions/{here.sid}/sign-out", {}, page_url="/account/sessions")
    assert tokens_refused(here.browser, rp, here)
    assert receiver.sids(here.browser) == [here.sid]


def test_signing_out_of_all_other_devices_ends_their_tokens_and_keeps_this_ones(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    first, second, here = sign_in_at(app, rp), sign_in_at(app, rp), sign_in_at(app, rp)
    post_form(here.browser, "/account/sessions/sign-out-others", {}, page_url="/account/sessions")
    assert tokens_refused(here.browser, rp, first) and tokens_refused(here.browser, rp, second)
    assert receiver.sids(here.browser) == sorted([first.sid, second.sid])
    assert tokens_work(here.browser, rp, here)


def test_changing_the_password_ends_what_was_issued_in_the_other_sessions(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    elsewhere, here = sign_in_at(app, rp), sign_in_at(app, rp)
    data = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert post_form(here.browser, "/account/password", data).status_code == 302
    assert tokens_refused(here.browser, rp, elsewhere)
    assert receiver.sids(here.browser) == [elsewhere.sid]
    assert tokens_work(here.browser, rp, here)


def test_resetting_the_password_ends_what_was_issued_in_every_session(
    app: Flask, rp: RP, receiver: LogoutReceiver, outbox: object
) -> None:
    first, second = sign_in_at(app, rp), sign_in_at(app, rp)
    stranger = app.test_client()
    post_form(stranger, "/reset-password", {"contact": EMAIL})
    link = latest_link(outbox, to=EMAIL)  # type: ignore[arg-type]
    new = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert post_form(stranger, link, new).status_code == 302
    assert tokens_refused(stranger, rp, first) and tokens_refused(stranger, rp, second)
    assert receiver.sids(stranger) == sorted([first.sid, second.sid])


def test_deleting_the_account_ends_what_was_issued_in_every_session(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    elsewhere, here = sign_in_at(app, rp), sign_in_at(app, rp)
    confirmed = {"confirm": "yes", "password": DEFAULT_PASSWORD}
    assert post_form(here.browser, "/vault/delete-account", confirmed).status_code == 302
    assert tokens_refused(here.browser, rp, elsewhere) and tokens_refused(here.browser, rp, here)
    assert receiver.sids(here.browser) == sorted([elsewhere.sid, here.sid])


def test_signing_in_again_in_the_same_browser_ends_the_previous_session(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    """A new sign-in replaces the browser's session (session fixation), and the old one ends with its tokens."""
    device = sign_in_at(app, rp)
    assert sign_in(device.browser, EMAIL).status_code == 302
    assert tokens_refused(device.browser, rp, device)
    assert receiver.sids(device.browser) == [device.sid]


def test_every_client_of_the_session_is_told_even_when_one_does_not_answer(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    """Section 2.8: delivery is best effort; a client that is down does not stop the others hearing."""
    silent = make_rp(organisation_type="council_service", scope=SCOPE, backchannel_logout_uri="http://127.0.0.1:9/x")
    device = sign_in_at(app, silent)
    response = exchange(device.browser, rp, allow_consent(device.browser, rp, SCOPE))
    assert response.status_code == 200
    post_form(device.browser, "/sign-out", {})
    assert [claims["aud"] for _, claims in receiver.decoded(device.browser)] == [rp.client_id]
    assert device.browser.get("/account").status_code == 302


def test_a_session_without_clients_ends_quietly(app: Flask, rp: RP, receiver: LogoutReceiver) -> None:
    browser = app.test_client()
    sign_in(browser, EMAIL)
    post_form(browser, "/sign-out", {})
    assert receiver.tokens == [] and browser.get("/account").status_code == 302


def test_slow_clients_are_told_side_by_side_not_one_after_another(app: Flask, rp: RP) -> None:
    """Two clients that each take a second to answer delay the sign-out by about one second, not two."""
    with running_receiver(delay=1.0) as slow_one, running_receiver(delay=1.0) as slow_two:
        first = make_rp(organisation_type="council_service", scope=SCOPE, backchannel_logout_uri=slow_one.uri)
        second = make_rp(organisation_type="council_service", scope=SCOPE, backchannel_logout_uri=slow_two.uri)
        device = sign_in_at(app, first)
        assert exchange(device.browser, second, allow_consent(device.browser, second, SCOPE)).status_code == 200
        started = time.monotonic()
        post_form(device.browser, "/sign-out", {})
        elapsed = time.monotonic() - started
        assert len(slow_one.tokens) == 1 and len(slow_two.tokens) == 1
    assert elapsed < 1.8
