"""Changing the email address or mobile number: the new contact is proved with a one-time code sent to
it before it replaces the old one, and the old contact is told. The code reuses ``ContactVerification``
(keyed digest, 15 minutes, five tries); a pending change is a live row whose contact is not yet the
account's own."""

from __future__ import annotations

import hmac
import secrets

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from idp.accounts import contacts, registration
from idp.accounts.errors import AccountExists, CodeRejected, InvalidContact
from idp.accounts.models import ContactVerification, User
from idp.database import new_id, utcnow
from idp.extensions import db
from idp.mail import send, send_text

NAMES = {contacts.EMAIL: "email address", contacts.PHONE: "mobile number"}


def start_change(user: User, channel: str, value: str) -> ContactVerification:
    """Send a code to the new ``channel`` contact; nothing on the account changes yet.

    No account enumeration (as at registration): when the contact belongs to another account, its owner is
    sent a notice instead of a code, and the pending change gets a code no one was told, so the pages that
    follow (confirm, wrong code, too many tries) are the same as for a free contact."""
    new = contacts.normalise_email(value) if channel == contacts.EMAIL else contacts.normalise_uk_mobile(value)
    if new == getattr(user, channel):
        raise InvalidContact(f"This is already your {NAMES[channel]}", field="contact")
    taken = _in_use(channel, new)
    _spend_pending(user)
    code = f"{secrets.randbelow(10**6):06d}"
    row = ContactVerification(id=new_id(), user_id=user.id, channel=channel, contact=new)
    # A 6-digit answer can never match a 256-bit secret that was never sent.
    row.code_digest = registration._digest(row.id, secrets.token_urlsafe(32) if taken else code)
    row.expires_at = utcnow() + registration.CODE_LIFETIME
    db.session.add(row)
    db.session.commit()
    if taken:
        _tell_owner(channel, new)
    else:
        _send_code(channel, new, code)
    return row


def _in_use(channel: str, value: str) -> bool:
    column = User.email if channel == contacts.EMAIL else User.phone
    return db.session.scalar(select(User.id).where(column == value)) is not None


def _spend_pending(user: User) -> None:
    db.session.execute(
        update(ContactVerification)
        .where(ContactVerification.user_id == user.id, ContactVerification.used_at.is_(None))
        .values(used_at=utcnow())
    )


def _send_code(channel: str, contact: str, code: str) -> None:
    service = current_app.config["SERVICE_NAME"]
    minutes = int(registration.CODE_LIFETIME.total_seconds() // 60)
    if channel == contacts.EMAIL:
        body = (
            f"Your {service} code to confirm your new email address is {code}\n\n"
            f"It works once and expires in {minutes} minutes. If you did not ask for this, ignore this email."
        )
        send(contact, "Confirm your new email address", body)
    else:
        send_text(
            contact,
            f"{code} is your {service} code to confirm your new mobile number. It expires in {minutes} minutes.",
        )


def _tell_owner(channel: str, contact: str) -> None:
    """The owner of a contact someone tried to move onto another account hears of it; their account keeps it."""
    service = current_app.config["SERVICE_NAME"]
    text = (
        f"Someone asked to use this {NAMES[channel]} on another {service} account. Nothing has changed: "
        f"it is still on your account. If you know nothing about this, you can ignore this message."
    )
    if channel == contacts.EMAIL:
        send(contact, f"Someone tried to use your {NAMES[channel]}", text)
    else:
        send_text(contact, text)


def pending_change(user: User) -> ContactVerification | None:
    row = db.session.scalar(
        select(ContactVerification)
        .where(ContactVerification.user_id == user.id, ContactVerification.used_at.is_(None))
        .order_by(ContactVerification.created_at.desc())
    )
    if row is None or row.expires_at <= utcnow() or row.contact == getattr(user, row.channel):
        return None
    return row


def confirm_change(user: User, code: str) -> str:
    """Replace the contact with the one the code was sent to; returns the channel changed."""
    row = pending_change(user)
    if row is None:
        raise CodeRejected("The code has expired or has been used. Start again", field="code")
    if row.attempts >= registration.MAX_CODE_ATTEMPTS:
        raise CodeRejected("You entered the wrong code too many times. Start again", field="code")
    if not hmac.compare_digest(row.code_digest, registration._digest(row.id, code.strip())):
        row.attempts += 1
        db.session.commit()
        raise CodeRejected("The code is not correct. Check the message and try again", field="code")
    old = getattr(user, row.channel)
    _apply(user, row)
    _tell_old_contact(user, row.channel, old)
    return row.channel


def _apply(user: User, row: ContactVerification) -> None:
    now = utcnow()
    row.used_at = now
    setattr(user, row.channel, row.contact)
    setattr(user, f"{row.channel}_verified_at", now)
    try:
        db.session.commit()
    except IntegrityError as error:  # someone else took it between the code and now
        db.session.rollback()
        raise AccountExists(f"Another account uses this {NAMES[row.channel]}", field="code") from error


def _tell_old_contact(user: User, channel: str, old: str | None) -> None:
    """The old contact hears of the change (a stolen session cannot quietly take the account over)."""
    text = (
        f"The {NAMES[channel]} on your {current_app.config['SERVICE_NAME']} account was changed. "
        "If this was not you, reset your password straight away and contact the council."
    )
    if old and channel == contacts.EMAIL:
        send(old, f"Your {NAMES[channel]} was changed", text)
    elif old:
        send_text(old, text)
    elif channel == contacts.EMAIL and user.phone:  # a first email address: tell the mobile number
        send_text(user.phone, text)
    elif user.email:  # a first mobile number: tell the email address
        send(user.email, f"Your {NAMES[channel]} was changed", text)
