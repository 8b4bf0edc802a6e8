"""Registering an account and confirming its email address or mobile number.

A 6-digit code (and, for email, a link) is sent through the outbox. Only keyed digests are stored; a code
works once, for 15 minutes, and dies after five wrong tries. Until the contact is confirmed the account
cannot sign in to services.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select, update

from idp.accounts import contacts, passwords
from idp.accounts.errors import CodeRejected, PasswordRejected
from idp.accounts.models import ContactVerification, User
from idp.database import new_id, utcnow
from idp.extensions import db
from idp.mail import send, send_text

CODE_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5


def register(channel: str, contact: str, password: str, given_name: str, family_name: str) -> User | None:
    """Create an unconfirmed account and send the confirmation code. ``contact`` is already normalised.

    No account enumeration: when the contact already belongs to an account, nothing is created and the
    account's owner is sent a notice instead (None is returned). Either way one password hash is made and
    one message is sent, so the answer, the page after it and the time taken are the same."""
    problem = passwords.password_problem(password, contact)
    if problem:
        raise PasswordRejected(problem)
    column = User.email if channel == contacts.EMAIL else User.phone
    password_hash = passwords.hash_password(password)
    existing = db.session.scalar(select(User).where(column == contact))
    if existing is not None:
        _tell_owner(channel, contact)
        return None
    user = User(given_name=given_name, family_name=family_name, password_hash=password_hash)
    setattr(user, channel, contact)
    db.session.add(user)
    db.session.commit()
    send_verification(user)
    return user


def _tell_owner(channel: str, contact: str) -> None:
    """The address's owner learns someone tried to register with it (perhaps themselves, having forgotten)."""
    name = current_app.config["SERVICE_NAME"]
    what = "email address" if channel == contacts.EMAIL else "mobile number"
    text = (
        f"Someone tried to register for {name} with this {what}, but it already has an account. "
        "If it was you, sign in, or reset your password if you have forgotten it. "
        "If it was not you, you can ignore this message: nothing has changed on your account."
    )
    if channel == contacts.EMAIL:
        send(contact, f"You already have a {name} account", text)
    else:
        send_text(contact, text)


def decoy_code_rejected(attempts: int, issued_at: float, now: float) -> CodeRejected:
    """What a code entered for a registration that made no account gets: the answers a real wrong code
    gets, in the same order (expired after the code's lifetime, then too many tries, else not correct), so
    the confirmation page does not tell the two apart either."""
    if now - issued_at > CODE_LIFETIME.total_seconds():
        return CodeRejected("The code has expired or has been used. Request a new code")
    if attempts >= MAX_CODE_ATTEMPTS:
        return CodeRejected("You entered the wrong code too many times. Request a new code")
    return CodeRejected("The code is not correct. Check the message and try again")


def _digest(verification_id: str, secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{verification_id}:{secret}".encode(), hashlib.sha256).hexdigest()


def send_verification(user: User) -> None:
    """Spend any earlier codes and send a fresh one (with a link, for email)."""
    _spend_open_codes(user)
    code = f"{secrets.randbelow(10**6):06d}"
    row = ContactVerification(id=new_id(), user_id=user.id, expires_at=utcnow() + CODE_LIFETIME)
    row.channel = contacts.EMAIL if user.email else contacts.PHONE
    row.contact = user.contact
    row.code_digest = _digest(row.id, code)
    link_token = secrets.token_urlsafe(32) if user.email else None
    row.link_digest = hashlib.sha256(link_token.encode()).hexdigest() if link_token else None
    db.session.add(row)
    db.session.commit()
    _deliver(user, code, link_token)


def _spend_open_codes(user: User) -> None:
    db.session.execute(
        update(ContactVerification)
        .where(ContactVerification.user_id == user.id, ContactVerification.used_at.is_(None))
        .values(used_at=utcnow())
    )


def _deliver(user: User, code: str, link_token: str | None) -> None:
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    if link_token and user.email:
        link = current_app.config["ISSUER"].rstrip("/") + url_for("accounts.verify_link", token=link_token)
        body = (
            f"Your {current_app.config['SERVICE_NAME']} confirmation code is {code}\n\n"
            f"Or open this link to confirm your email address:\n{link}\n\n"
            f"The code and link work once and expire in {minutes} minutes. "
            "If you did not create an account, you can ignore this email."
        )
        send(user.email, "Confirm your email address", body)
    elif user.phone:
        service = current_app.config["SERVICE_NAME"]
        send_text(user.phone, f"{code} is your {service} code. It expires in {minutes} minutes.")


def live_code(user: User) -> ContactVerification | None:
    """The newest unspent, unexpired code for the user's current contact."""
    row = db.session.scalar(
        select(ContactVerification)
        .where(ContactVerification.user_id == user.id, ContactVerification.used_at.is_(None))
        .order_by(ContactVerification.created_at.desc())
    )
    if row is None or row.expires_at <= utcnow() or row.contact != user.contact:
        return None
    return row


def verify_code(user: User, code: str) -> None:
    """Confirm the user's contact with the code they were sent, or raise CodeRejected."""
    row = live_code(user)
    if row is None:
        raise CodeRejected("The code has expired or has been used. Request a new code")
    if row.attempts >= MAX_CODE_ATTEMPTS:
        raise CodeRejected("You entered the wrong code too many times. Request a new code")
    if not hmac.compare_digest(row.code_digest, _digest(row.id, code)):
        row.attempts += 1
        db.session.commit()
        raise CodeRejected("The code is not correct. Check the message and try again")
    _confirm(row)


def verify_link(token: str) -> User | None:
    """Confirm an email address from the link in the message; None when the link is unknown or dead."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.scalar(select(ContactVerification).where(ContactVerification.link_digest == digest))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or row.contact != row.user.contact:
        return None
    _confirm(row)
    return row.user


def _confirm(row: ContactVerification) -> None:
    now = utcnow()
    row.used_at = now
    setattr(row.user, f"{row.channel}_verified_at", now)
    db.session.commit()
