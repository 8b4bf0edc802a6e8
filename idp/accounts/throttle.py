"""Rate limits on the pages that guess-and-check attacks aim at (Flask-Limiter, so that several workers
share counters through Redis). Only failed attempts count, and every limit is a time window: there is no
permanent lockout that an attacker could use to shut a citizen out."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from flask import Response, current_app, render_template, request, session
from flask_limiter.util import get_remote_address

from idp.accounts.contacts import throttle_key
from idp.accounts.sessions import PENDING_USER_KEY, REGISTRATION_DECOY_KEY
from idp.extensions import limiter


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def _sent(response: Response) -> bool:
    """A message went out: the page moved on (a re-shown form with errors sent nothing)."""
    return response.status_code in (302, 303)


def _account_key() -> str:
    return "account:" + throttle_key(request.form.get("contact", ""))


def _recipient_key() -> str:
    """Whom a message would go to: the contact typed in, or the account waiting for its code."""
    if "contact" in request.form:
        return _account_key()
    decoy = session.get(REGISTRATION_DECOY_KEY)
    if PENDING_USER_KEY not in session and isinstance(decoy, dict):  # counted like a real one: per address
        return "pending:" + throttle_key(str(decoy.get("contact", "")))
    return "pending:" + str(session.get(PENDING_USER_KEY, "none"))


def _limit(setting: str, default: str | None = None) -> str:
    return str(current_app.config.get(setting) or default)


sign_in_per_account = limiter.limit(
    lambda: _limit("SIGN_IN_LIMIT_PER_ACCOUNT"),
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="account",
)
sign_in_per_address = limiter.limit(
    lambda: _limit("SIGN_IN_LIMIT_PER_ADDRESS"),
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed,
    scope="address",
)
# Pages that send messages count each message, so they cannot be used to flood someone's inbox or phone.
messages_per_address = limiter.limit(
    lambda: _limit("MESSAGE_LIMIT_PER_ADDRESS", "10 per 15 minutes;40 per day"),
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_sent,
    scope="messages",
)
messages_per_account = limiter.limit(
    lambda: _limit("MESSAGE_LIMIT_PER_ACCOUNT", "3 per 15 minutes;10 per day"),
    key_func=_recipient_key,
    methods=["POST"],
    deduct_when=_sent,
    scope="messages-account",
)


def retry_after_seconds() -> int:
    """Seconds until the limit that was hit on this request opens again."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - datetime.now(UTC).timestamp()))


def too_many_attempts(error: Exception) -> tuple[str, int]:
    seconds = retry_after_seconds()
    minutes = max(1, round(seconds / 60))  # the window end is rounded to whole seconds
    return render_template("accounts/too_many_attempts.html", minutes=minutes, seconds=seconds), 429
