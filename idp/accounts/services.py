"""Signing in with a password and changing it.

``finish_password_step`` is the one place the sign-in view hands over to once the password is right:
the authentication engineer inserts the second-factor step there.
"""

from __future__ import annotations

from flask import redirect
from sqlalchemy import select
from werkzeug.wrappers import Response

from idp.accounts import contacts, passwords, sessions
from idp.accounts.errors import ContactNotVerified, InvalidContact, InvalidCredentials, PasswordRejected
from idp.accounts.models import LoginSession, User
from idp.authn.levels import ACR_PASSWORD
from idp.database import utcnow
from idp.extensions import db
from idp.mail import send, send_text


def find_user_by_contact(value: str) -> User | None:
    """The account registered with this email address or mobile number (as typed), if any."""
    try:
        channel, normalised = contacts.parse_contact(value)
    except InvalidContact:
        return None
    column = User.email if channel == contacts.EMAIL else User.phone
    return db.session.scalar(select(User).where(column == normalised))


def authenticate(contact: str, password: str) -> User:
    """The user whose contact and password these are. Costs one argon2 verification whether or not the
    account exists. Raises InvalidCredentials, or ContactNotVerified once the password is known right."""
    user = find_user_by_contact(contact)
    if not passwords.verify_password(user.password_hash if user else None, password) or user is None:
        raise InvalidCredentials()
    if not user.is_active:
        raise InvalidCredentials()
    _upgrade_hash(user, password)
    if not user.contact_verified:
        raise ContactNotVerified(user)
    return user


def _upgrade_hash(user: User, password: str) -> None:
    """Hashes made with older argon2 parameters are replaced while we hold the plain password."""
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        db.session.commit()


def finish_password_step(user: User, next_url: str) -> Response:
    """The password is right and the contact confirmed: start the session and go on to ``next_url``."""
    from idp.authn.services import after_password  # authn: people with a second factor are asked for it

    second_step = after_password(user, next_url)
    if second_step is not None:
        return second_step
    sessions.start_session(user, ACR_PASSWORD.value, ["pwd"])
    return redirect(next_url)


def set_password(user: User, new_password: str) -> None:
    problem = passwords.password_problem(new_password, user.email, user.phone)
    if problem:
        raise PasswordRejected(problem, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str, keep: LoginSession | None) -> int:
    """Change the password after checking the current one; every other session ends. Returns how many."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise PasswordRejected("Your current password is not correct", field="current_password")
    set_password(user, new_password)
    ended = sessions.end_all_sessions(user, keep=keep)
    notify(user, "Your password was changed", "The password for your account was changed.")
    return ended


def notify(user: User, subject: str, text: str) -> None:
    """Tell the person about a change to their account, on the contact they verified."""
    footer = "\n\nIf this was not you, reset your password straight away and contact the council."
    if user.email:
        send(user.email, subject, text + footer)
    elif user.phone:
        send_text(user.phone, text + footer)
