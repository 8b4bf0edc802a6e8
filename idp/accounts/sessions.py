"""Server-side sign-in sessions.

The browser's (signed) Flask session cookie carries one random token; the ``LoginSession`` row holds its
SHA-256 digest and everything we know about the sign-in. That gives a list of active sessions, "sign out
of all devices", idle and absolute timeouts, and a fresh token at every sign-in and step-up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import joinedload

from idp.accounts.models import LoginSession, User
from idp.authn.levels import ACR_PASSWORD, acr_rank
from idp.database import utcnow
from idp.extensions import db

SESSION_TOKEN_KEY = "login_token"
# The account that registered, or gave the right password, in this browser but has not confirmed its contact.
PENDING_USER_KEY = "pending_user_id"
# A registration that made no account (its address already had one): what its confirmation page shows.
REGISTRATION_DECOY_KEY = "registration_decoy"
# Writing last_active_at on every request would turn every page view into a database write.
ACTIVITY_WRITE_INTERVAL = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_cookie_token() -> str:
    token = secrets.token_urlsafe(32)
    session[SESSION_TOKEN_KEY] = token
    session.permanent = True
    return token


def start_session(user: User, acr: str, amr: list[str], auth_time: datetime | None = None) -> LoginSession:
    """Sign ``user`` in on this browser, discarding whatever the browser's session held before."""
    end_current_session()
    session.clear()  # a fresh cookie at sign-in defeats session fixation
    token = _issue_cookie_token()
    login = LoginSession(
        token_digest=_digest(token),
        user_id=user.id,
        acr=acr,
        amr=" ".join(amr),
        auth_time=auth_time or utcnow(),
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:500],
    )
    db.session.add(login)
    db.session.commit()
    g.login_session = login
    return login


def elevate_session(login: LoginSession, acr: str, amr: list[str]) -> LoginSession:
    """Record a step-up: a stronger level and a new authentication time, under a new cookie token."""
    token = _issue_cookie_token()
    login.token_digest = _digest(token)
    login.acr = acr
    login.amr = " ".join(dict.fromkeys(login.amr_list + amr))
    login.auth_time = utcnow()
    db.session.commit()
    g.login_session = login
    return login


def current_session() -> LoginSession | None:
    """The live sign-in session of this request, or None (timed-out sessions are ended here)."""
    if "login_session" in g:
        return g.login_session  # type: ignore[no-any-return]
    g.login_session = _load_session()
    return g.login_session  # type: ignore[no-any-return]


def current_user() -> User | None:
    login = current_session()
    return login.user if login else None


def _load_session() -> LoginSession | None:
    token = session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str):
        return None
    # The account comes with it (one statement, not a second lazy load): every signed-in request needs both.
    statement = select(LoginSession).options(joinedload(LoginSession.user))
    login = db.session.scalar(statement.where(LoginSession.token_digest == _digest(token)))
    if login is None or not login.user.is_active:
        session.pop(SESSION_TOKEN_KEY, None)
        return None
    now = utcnow()
    if timed_out(login, now):
        end_sessions([login], by_timeout=True)
        session.pop(SESSION_TOKEN_KEY, None)
        return None
    if now - login.last_active_at > ACTIVITY_WRITE_INTERVAL:
        login.last_active_at = now
        db.session.commit()
    _lapse_elevated_level(login, now)
    return login


def _lapse_elevated_level(login: LoginSession, now: datetime) -> None:
    """Issue 5: an elevated level lapses after ``ELEVATED_LEVEL_LIFETIME``. The person stays signed in,
    but a request that needs a second factor or a passkey asks for it again."""
    lifetime = current_app.config.get("ELEVATED_LEVEL_LIFETIME")
    if lifetime is None or acr_rank(login.acr) <= ACR_PASSWORD.rank or now - login.auth_time <= lifetime:
        return
    login.acr = ACR_PASSWORD.value
    db.session.commit()


def timed_out(login: LoginSession, now: datetime | None = None) -> bool:
    """Past the idle or the absolute timeout. Only the browser's own requests count as activity: a client
    refreshing tokens in the background must not keep a shared computer's session open."""
    now = now or utcnow()
    config = current_app.config
    return (
        now - login.last_active_at > config["SESSION_IDLE_TIMEOUT"]
        or now - login.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]
    )


def end_sessions(logins: list[LoginSession], *, by_timeout: bool = False) -> int:
    """The one rule for ending sign-in sessions, whatever ends them: signing out here or at a service
    (RP-initiated logout), the sessions list, "sign out of all devices", a password change or reset,
    deleting the account, the idle or absolute timeout. What was issued in a session ends with it: its
    token families (by ``sid``) are revoked, every client that received tokens in it and registered a
    back-channel logout URI is told, and only then do the rows go (the logout token's subject is worked
    out from them). A timeout is no one's decision to withdraw
    access, so families granted ``offline_access`` survive it (OIDC Core section 11; Back-Channel Logout
    section 2.7); every deliberate ending revokes them too. Returns how many sessions ended."""
    if not logins:
        return 0
    from idp.oauth2 import backchannel, tokens  # the provider's side of a session (oauth2 imports accounts)

    for login in logins:
        tokens.revoke_session_tokens(login.id, keep_offline=by_timeout)
    backchannel.notify_sessions_end(logins)
    result = db.session.execute(delete(LoginSession).where(LoginSession.id.in_([login.id for login in logins])))
    db.session.commit()
    return _rowcount(result)


def end_current_session() -> None:
    """Sign this browser out: its session ends (see ``end_sessions``) and the cookie is emptied."""
    login = current_session()
    if login is not None:
        end_sessions([login])
    session.clear()
    g.login_session = None


def end_all_sessions(user: User, keep: LoginSession | None = None) -> int:
    """Sign the user out everywhere (optionally keeping this browser). Returns how many ended."""
    statement = select(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(LoginSession.id != keep.id)
    return end_sessions(list(db.session.scalars(statement)))


def active_sessions(user: User) -> list[LoginSession]:
    now = utcnow()
    rows = db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.last_active_at.desc())
    )
    return [login for login in rows if not timed_out(login, now)]


def end_timed_out_sessions() -> int:
    """End (see ``end_sessions``) every session past a timeout whose browser has not come back to find out:
    run from ``logbook oauth2 purge``, so clients hear of it without waiting for a refresh."""
    config, now = current_app.config, utcnow()
    statement = select(LoginSession).where(
        or_(
            LoginSession.last_active_at < now - config["SESSION_IDLE_TIMEOUT"],
            LoginSession.created_at < now - config["SESSION_ABSOLUTE_TIMEOUT"],
        )
    )
    return end_sessions(list(db.session.scalars(statement)), by_timeout=True)


def end_session(user: User, session_id: str) -> bool:
    """Sign out one of the user's own sessions (from the list of devices). False if there is no such one."""
    login = db.session.scalar(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id == session_id)
    )
    return login is not None and end_sessions([login]) > 0


def _rowcount(result: object) -> int:
    """Rows a DELETE touched (a CursorResult's count; typed loosely by SQLAlchemy's stubs)."""
    return int(getattr(result, "rowcount", 0) or 0)
