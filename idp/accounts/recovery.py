"""Resetting a forgotten password with a single-use, expiring link sent through the outbox.

No account enumeration: a request for an unknown address gets the same page, sends a message of the same
kind ("there is no account for this address") and does the same argon2 work as one for a known address.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select, update

from idp.accounts import contacts, passwords, services, sessions
from idp.accounts.errors import ResetLinkInvalid
from idp.accounts.models import PasswordReset, User
from idp.database import utcnow
from idp.extensions import db
from idp.mail import send, send_text

RESET_LINK_LIFETIME = timedelta(hours=1)
RESET_LINK_DEAD = "This link has expired or has already been used. Ask for a new link."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(contact: str) -> None:
    """Send a reset link to a registered contact, or an "unknown address" note to any other valid one.

    Raises InvalidContact only for input that is not an email address or UK mobile number at all,
    which says nothing about who is registered.
    """
    channel, normalised = contacts.parse_contact(contact)
    passwords.spend_equal_work()
    user = services.find_user_by_contact(normalised)
    if user is None or not user.is_active:
        _send(channel, normalised, _unknown_body())
        return
    token = _new_reset(user)
    _send(channel, normalised, _reset_body(token))


def _new_reset(user: User) -> str:
    now = utcnow()
    still_open = (PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    db.session.execute(update(PasswordReset).where(*still_open).values(used_at=now))
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordReset(user_id=user.id, token_digest=_digest(token), expires_at=now + RESET_LINK_LIFETIME))
    db.session.commit()
    return token


def _reset_body(token: str) -> str:
    link = current_app.config["ISSUER"].rstrip("/") + url_for("accounts.reset_password", token=token)
    return (
        f"Use this link to choose a new {current_app.config['SERVICE_NAME']} password:\n{link}\n\n"
        "The link works once and expires in 1 hour. If you did not ask to reset your password, ignore this message."
    )


def _unknown_body() -> str:
    name = current_app.config["SERVICE_NAME"]
    return (
        f"Someone asked to reset the {name} password for this address, but there is no {name} account for it.\n\n"
        "If this was you, you may have registered with a different email address or phone number. "
        "If not, you can ignore this message."
    )


def _send(channel: str, recipient: str, body: str) -> None:
    if channel == contacts.EMAIL:
        send(recipient, "Reset your password", body)
    else:
        send_text(recipient, body)


def live_reset(token: str) -> PasswordReset:
    row = db.session.scalar(select(PasswordReset).where(PasswordReset.token_digest == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.is_active:
        raise ResetLinkInvalid(RESET_LINK_DEAD)
    return row


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link: the link is spent and every session of the account ends.
    Receiving the link proves the person holds the contact, so it counts as confirmed."""
    row = live_reset(token)
    user = row.user
    services.set_password(user, new_password)
    row.used_at = utcnow()
    channel = contacts.EMAIL if user.email else contacts.PHONE
    if getattr(user, f"{channel}_verified_at") is None:
        setattr(user, f"{channel}_verified_at", utcnow())
    db.session.commit()
    sessions.end_all_sessions(user)
    services.notify(user, "Your password was changed", "The password for your account was reset.")
    return user
