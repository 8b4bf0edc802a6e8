"""Citizens as officers meet them: accounts created on their behalf, activation, and the exact-match
search officers use to find an account before acting on it (never a list to browse)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, url_for
from sqlalchemy import select, update

from idp import audit
from idp.accounts import contacts, passwords
from idp.accounts.errors import InvalidContact, PasswordRejected
from idp.accounts.models import User
from idp.accounts.services import find_user_by_contact
from idp.database import new_id, utcnow
from idp.extensions import db
from idp.mail import send, send_text
from idp.officers import codes
from idp.officers.errors import AccountAlreadyExists, CodeRefused
from idp.officers.models import ROLE_OFFICER, ActivationCode, CitizenDetails

ACTIVATION_LIFETIME = timedelta(days=28)
ACTIVATION_PURPOSE = "activation"
ACTIVATION_REFUSED = (
    "The activation code or contact is not right, or the code has expired. Ask the council for a new letter"
)


@dataclass(frozen=True)
class Details:
    given_name: str
    family_name: str
    birthdate: date
    postcode: str


def name_key(value: str) -> str:
    return " ".join(value.split()).casefold()


def postcode_key(value: str) -> str:
    return "".join(value.split()).upper()


def display_postcode(value: str) -> str:
    key = postcode_key(value)
    return f"{key[:-3]} {key[-3:]}" if len(key) > 3 else key


def record_details(user: User, details: Details, source: str, officer: User) -> CitizenDetails:
    row = CitizenDetails(
        user_id=user.id,
        given_name=" ".join(details.given_name.split()),
        family_name=" ".join(details.family_name.split()),
        given_name_key=name_key(details.given_name),
        family_name_key=name_key(details.family_name),
        birthdate=details.birthdate,
        postcode=display_postcode(details.postcode),
        postcode_key=postcode_key(details.postcode),
        source=source,
        recorded_by=officer.id,
    )
    db.session.add(row)
    return row


def create_account(officer: User, details: Details, contact: str, delivery: str) -> tuple[User, ActivationCode, str]:
    """An account without a password, for a citizen at the counter; returns it with the activation code
    in clear (printed on the letter, or sent as a message, and never stored)."""
    channel, normalised = contacts.parse_contact(contact)
    if find_user_by_contact(normalised) is not None:
        raise AccountAlreadyExists("There is already an account with this email address or mobile number")
    user = User(given_name=details.given_name.strip(), family_name=details.family_name.strip())
    setattr(user, channel, normalised)
    db.session.add(user)
    db.session.flush()
    record_details(user, details, "account_created", officer)
    row, code = _new_activation(user, delivery, officer)
    audit.record(officer, ROLE_OFFICER, "account.created", subject_user_id=user.id, details={"delivery": delivery})
    if delivery == "message":
        _send_activation(user, code)
    return user, row, code


def _new_activation(user: User, delivery: str, officer: User) -> tuple[ActivationCode, str]:
    db.session.execute(
        update(ActivationCode)
        .where(ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    code = codes.new_code()
    row = ActivationCode(id=new_id(), user_id=user.id, delivery=delivery, issued_by=officer.id)
    row.code_digest = codes.digest(row.id, code, ACTIVATION_PURPOSE)
    row.expires_at = utcnow() + ACTIVATION_LIFETIME
    db.session.add(row)
    return row, code


def reissue_activation(officer: User, user: User, delivery: str) -> tuple[ActivationCode, str]:
    """A new letter or message for an account not yet activated; earlier codes stop working."""
    if user.password_hash:
        raise AccountAlreadyExists("This account has already been activated")
    row, code = _new_activation(user, delivery, officer)
    audit.record(officer, ROLE_OFFICER, "activation.reissued", subject_user_id=user.id, details={"delivery": delivery})
    if delivery == "message":
        _send_activation(user, code)
    return row, code


def _send_activation(user: User, code: str) -> None:
    link = current_app.config["ISSUER"].rstrip("/") + url_for("activation.activate")
    service = current_app.config["SERVICE_NAME"]
    text = f"Your {service} activation code is {code}. Enter it at {link} to set your password."
    if user.email:
        send(user.email, f"Activate your {service} account", text)
    elif user.phone:
        send_text(user.phone, text)


def activate(contact: str, code: str, new_password: str) -> User:
    """The citizen sets a password with the code from their letter or message."""
    user = find_user_by_contact(contact)
    row = _live_activation(user) if user is not None else None
    if user is None or row is None or row.attempts >= codes.MAX_ATTEMPTS:
        raise CodeRefused(ACTIVATION_REFUSED, field="code")
    if not codes.matches(row.id, code, ACTIVATION_PURPOSE, row.code_digest):
        row.attempts += 1
        db.session.commit()
        raise CodeRefused(ACTIVATION_REFUSED, field="code")
    problem = passwords.password_problem(new_password, user.email, user.phone)
    if problem:
        raise PasswordRejected(problem, field="new_password")
    _finish_activation(user, row, new_password)
    return user


def _live_activation(user: User) -> ActivationCode | None:
    row = db.session.scalar(
        select(ActivationCode)
        .where(ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None))
        .order_by(ActivationCode.created_at.desc())
    )
    return row if row is not None and row.expires_at > utcnow() else None


def _finish_activation(user: User, row: ActivationCode, new_password: str) -> None:
    now = utcnow()
    row.used_at = now
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = now
    if row.delivery == "message":  # the code reached them at this address, which proves they hold it
        setattr(user, "email_verified_at" if user.email else "phone_verified_at", now)
    db.session.commit()


def pending_activation(user: User) -> bool:
    return not user.password_hash


def find_by_details(officer: User, details: Details) -> list[User]:
    """Accounts whose recorded name, date of birth and postcode all match exactly (audited)."""
    statement = select(CitizenDetails.user_id).where(
        CitizenDetails.given_name_key == name_key(details.given_name),
        CitizenDetails.family_name_key == name_key(details.family_name),
        CitizenDetails.birthdate == details.birthdate,
        CitizenDetails.postcode_key == postcode_key(details.postcode),
    )
    ids = list(dict.fromkeys(db.session.scalars(statement)))
    audit.record(officer, ROLE_OFFICER, "citizen.searched", details={"by": "details", "matches": len(ids)})
    return [user for user in (db.session.get(User, user_id) for user_id in ids) if user is not None]


def find_by_contact(officer: User, contact: str) -> User | None:
    try:
        contacts.parse_contact(contact)
    except InvalidContact:
        return None
    user = find_user_by_contact(contact)
    audit.record(officer, ROLE_OFFICER, "citizen.searched", details={"by": "contact", "matches": int(bool(user))})
    return user


def latest_details(user: User) -> CitizenDetails | None:
    return db.session.scalar(
        select(CitizenDetails).where(CitizenDetails.user_id == user.id).order_by(CitizenDetails.recorded_at.desc())
    )
