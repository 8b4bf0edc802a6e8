"""What other areas ask of authentication: which level a person can reach, whether a session's strongest
factor is fresh, and the second step of sign-in for people who have a second factor.

Between the password and the second factor the person is *pending*: their id and where they were going
sit in the (signed) Flask session for a few minutes; no ``LoginSession`` exists until the second factor
is right, so a pending browser is not signed in anywhere.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import current_app, redirect, session, url_for
from werkzeug.wrappers import Response

from idp.accounts.models import LoginSession, User
from idp.accounts.sessions import start_session
from idp.authn import passkeys, recovery, totp
from idp.authn.levels import (
    ACR_PASSKEY,
    ACR_PASSWORD,
    ACR_TWO_FACTOR,
    AMR_OTP,
    AMR_PASSWORD,
    acr_rank,
)
from idp.database import utcnow
from idp.extensions import db
from idp.guards import safe_next_url

PENDING_KEY = "authn_pending"
PENDING_LIFETIME_SECONDS = 600
# How recent a sign-in must be before sensitive account changes (remove a factor, change password).
DEFAULT_FRESH_AUTH_MAX_AGE = 300

# Recovery codes are look-up secrets used once (NIST SP 800-63B 5.1.2): RFC 8176 has no closer value
# than "otp", and they give the same level as the authenticator app they stand in for.
RECOVERY_CODE_AMR = [AMR_PASSWORD, AMR_OTP]
TOTP_AMR = [AMR_PASSWORD, AMR_OTP]


def has_second_factor(user: User) -> bool:
    return totp.active_factor(user) is not None or bool(passkeys.passkeys_of(user))


def reachable_acr(user: User) -> str:
    """The strongest acr ``user`` can reach now with the factors they hold."""
    if passkeys.passkeys_of(user):
        return ACR_PASSKEY.value
    if totp.active_factor(user) is not None:
        return ACR_TWO_FACTOR.value
    return ACR_PASSWORD.value


def is_fresh(login: LoginSession, max_age: int | None, now: datetime | None = None) -> bool:
    if max_age is None:
        return True
    return ((now or utcnow()) - login.auth_time).total_seconds() <= max_age


def strongest_factor_fresh(login: LoginSession | None, max_age: int | None = None) -> bool:
    """Whether ``login`` was authenticated within ``max_age`` seconds with the strongest level its user
    can reach (``max_age`` defaults to ``FRESH_AUTH_MAX_AGE``, five minutes)."""
    if login is None:
        return False
    if max_age is None:
        max_age = fresh_auth_max_age()
    return acr_rank(login.acr) >= acr_rank(reachable_acr(login.user)) and is_fresh(login, max_age)


def fresh_auth_max_age() -> int:
    return int(current_app.config.get("FRESH_AUTH_MAX_AGE", DEFAULT_FRESH_AUTH_MAX_AGE))


# -- the second step of sign-in -------------------------------------------------------------------


def after_password(user: User, next_url: str | None) -> Response | None:
    """Called once the password is right: a redirect to the second-factor page when ``user`` has a
    second factor, else None (the caller then starts an ``ACR_PASSWORD`` session)."""
    if not has_second_factor(user):
        return None
    session.pop(PENDING_KEY, None)
    session[PENDING_KEY] = {"user_id": user.id, "next": safe_next_url(next_url), "since": int(time.time())}
    return redirect(url_for("authn.second_factor"))


def pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_LIFETIME_SECONDS:
        return None
    user = db.session.get(User, pending.get("user_id"))
    return user if user is not None and user.is_active else None


def complete_sign_in(user: User, acr: str, amr: list[str]) -> str:
    """Start the signed-in session after the second factor; returns where the person was going."""
    next_url = safe_next_url((session.get(PENDING_KEY) or {}).get("next"))
    start_session(user, acr, amr)  # clears the Flask session, pending state included
    return next_url


def sign_in_with_code(user: User, code: str) -> str:
    factor = totp.active_factor(user)
    if factor is None:
        raise totp.WrongCode("You do not have an authenticator app set up. Use a passkey or a recovery code.")
    totp.verify_code(factor, code)
    return complete_sign_in(user, ACR_TWO_FACTOR.value, TOTP_AMR)


def sign_in_with_recovery_code(user: User, code: str) -> str:
    recovery.use(user, code)
    return complete_sign_in(user, ACR_TWO_FACTOR.value, RECOVERY_CODE_AMR)
