"""A sign-in session that times out ends by the same rule as any other ending (``end_sessions``).

Its token families are revoked and its clients get a back-channel logout token (Back-Channel Logout 1.0
section 2.5), whichever notices the timeout first: the browser coming back, a client presenting a refresh
token, or ``logbook oauth2 purge``. Families granted ``offline_access`` outlive it (OIDC Core section 11:
access "even when the End-User is not present"; Back-Channel Logout section 2.7). Each test signs a
browser in at a service, backdates its session past a timeout and checks through real HTTP; the
relying party's back-channel endpoint is a live server on loopback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from idp.accounts.models import LoginSession
from idp.database import utcnow
from idp.extensions import db
from tests.builders import create_user
from tests.flows import allow_consent
from tests.oauth.forge import claims_of
from tests.oauth.helpers import RP, exchange, make_rp, refresh
from tests.oauth.logout_receiver import LogoutReceiver
from tests.web_helpers import post_form, sign_in

EMAIL = "citizen@example.org"
SCOPE = "openid profile email"
OFFLINE_SCOPE = SCOPE + " offline_access"


@dataclass
class Device:
    browser: FlaskClient
    tokens: dict[str, Any]
    sid: str


@pytest.fixture
def rp(app: Flask, receiver: LogoutReceiver) -> RP:
    create_user(email=EMAIL, given_name="Sam", family_name="Jones")
    return make_rp(organisation_type="council_service", scope=OFFLINE_SCOPE, backchannel_logout_uri=receiver.uri)


def sign_in_at(app: Flask, rp: RP, scope: str = SCOPE) -> Device:
    browser = app.test_client()
    assert sign_in(browser, EMAIL).status_code == 302
    response = exchange(browser, rp, allow_consent(browser, rp, scope))
    assert response.status_code == 200, response.get_json()
    tokens = response.get_json()
    return Device(browser, tokens, claims_of(tokens["id_token"])["sid"])


def go_idle(app: Flask, sid: str) -> None:
    idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=1)
    db.session.execute(update(LoginSession).where(LoginSession.id == sid).values(last_active_at=utcnow() - idle))
    db.session.commit()


def grow_old(app: Flask, sid: str) -> None:
    old = app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(seconds=1)
    db.session.execute(
        update(LoginSession).where(LoginSession.id == sid).values(created_at=utcnow() - old, last_active_at=utcnow())
    )
    db.session.commit()


def refused(response: Any) -> bool:
    return response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def sessions_left() -> int:
    return int(db.session.scalar(select(func.count()).select_from(LoginSession)) or 0)


@pytest.mark.parametrize("timeout", [go_idle, grow_old], ids=["idle", "absolute"])
def test_a_timed_out_sessions_refresh_token_is_refused_and_its_clients_are_told(
    app: Flask, rp: RP, receiver: LogoutReceiver, timeout: Any
) -> None:
    """The browser never comes back: the client's refresh (from its own server) is where the timeout is
    noticed, and the session ends there with its tokens revoked and a logout token to the client."""
    device = sign_in_at(app, rp)
    timeout(app, device.sid)
    server = app.test_client()
    assert refused(refresh(server, rp, device.tokens["refresh_token"]))
    assert receiver.sids(server) == [device.sid]
    assert sessions_left() == 0


def test_the_browser_coming_back_after_a_timeout_ends_the_session_by_the_same_rule(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    device = sign_in_at(app, rp)
    go_idle(app, device.sid)
    assert device.browser.get("/account").status_code == 302
    assert receiver.sids(device.browser) == [device.sid]
    server = app.test_client()
    assert refused(refresh(server, rp, device.tokens["refresh_token"]))
    userinfo = server.get("/userinfo", headers={"Authorization": f"Bearer {device.tokens['access_token']}"})
    assert userinfo.status_code == 401


def test_a_live_sessions_refresh_token_still_works(app: Flask, rp: RP, receiver: LogoutReceiver) -> None:
    device = sign_in_at(app, rp)
    assert refresh(app.test_client(), rp, device.tokens["refresh_token"]).status_code == 200
    assert receiver.tokens == []


def test_offline_access_outlives_a_timeout_but_the_client_is_still_told_the_session_ended(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    """OIDC Core section 11: offline_access is for when the person is not signed in; Back-Channel Logout
    section 2.7: refresh tokens with offline_access normally SHOULD NOT be revoked when the session ends."""
    device = sign_in_at(app, rp, OFFLINE_SCOPE)
    assert "offline_access" in device.tokens["scope"].split()
    go_idle(app, device.sid)
    assert device.browser.get("/account").status_code == 302
    assert receiver.sids(device.browser) == [device.sid]
    refreshed = refresh(app.test_client(), rp, device.tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.get_json()


def test_offline_access_presented_after_a_timeout_works_without_ending_anything_twice(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    device = sign_in_at(app, rp, OFFLINE_SCOPE)
    go_idle(app, device.sid)
    assert refresh(app.test_client(), rp, device.tokens["refresh_token"]).status_code == 200
    assert receiver.tokens == []  # nothing looked at the session: the purge or the browser will end it


def test_signing_out_deliberately_still_ends_offline_access_too(app: Flask, rp: RP, receiver: LogoutReceiver) -> None:
    """Only a timeout spares offline_access: signing out is the person's own decision."""
    device = sign_in_at(app, rp, OFFLINE_SCOPE)
    post_form(device.browser, "/sign-out", {})
    assert refused(refresh(app.test_client(), rp, device.tokens["refresh_token"]))


def test_the_purge_command_ends_timed_out_sessions_and_tells_their_clients(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    stale, live = sign_in_at(app, rp), sign_in_at(app, rp)
    grow_old(app, stale.sid)
    result = app.test_cli_runner().invoke(args=["oauth2", "purge"])
    assert result.exit_code == 0 and "timed_out_sessions: 1" in result.output
    assert receiver.sids(live.browser) == [stale.sid]
    server = app.test_client()
    assert refused(refresh(server, rp, stale.tokens["refresh_token"]))
    assert refresh(server, rp, live.tokens["refresh_token"]).status_code == 200
    assert live.browser.get("/account").status_code == 200


def test_introspecting_a_timed_out_sessions_refresh_token_says_inactive(
    app: Flask, rp: RP, receiver: LogoutReceiver
) -> None:
    """RFC 7662 section 2.2: a token a refresh would refuse is not active; the session ends on the way."""
    device = sign_in_at(app, rp)
    go_idle(app, device.sid)
    server = app.test_client()
    data = {"token": device.tokens["refresh_token"], "token_type_hint": "refresh_token"}
    assert server.post("/oauth2/introspect", data=data, auth=rp.basic).get_json() == {"active": False}
    assert receiver.sids(server) == [device.sid]
