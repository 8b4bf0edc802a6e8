"""Authenticator-app codes (RFC 6238 TOTP): enrolment, one-time acceptance, throttling and lockout.

A code is accepted once only. Acceptance is one conditional UPDATE that moves ``last_used_step``
forward; the database decides which of several concurrent requests wins (SQLite and PostgreSQL both
re-check the WHERE clause under the row's write lock), so no in-process lock is involved.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import case, delete, or_, select, update

from idp.accounts.models import User
from idp.authn.models import TotpFactor, rows_changed
from idp.authn.sealing import seal, unseal
from idp.database import utcnow
from idp.errors import Conflict, DomainError
from idp.extensions import db

STEP_SECONDS = 30
# One step either side absorbs clock drift between phone and server (RFC 6238 section 6).
DRIFT_STEPS = 1
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCKOUT = timedelta(minutes=15)


class WrongCode(DomainError):
    status_code = 400
    code = "wrong_code"


class CodeAlreadyUsed(DomainError):
    status_code = 400
    code = "code_already_used"


class FactorLocked(DomainError):
    status_code = 429
    code = "factor_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(
            f"There have been too many wrong codes. Authenticator app codes are locked until "
            f"{until:%H:%M} UTC. Use a recovery code, or wait and try again.",
        )
        self.until = until


@dataclass(frozen=True)
class Enrolment:
    factor: TotpFactor
    secret: str
    uri: str

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to type into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))

    @property
    def qr_data_uri(self) -> str:
        """The otpauth URI as a QR code, an SVG image in a data: URI (no external service, no script)."""
        svg = segno.make(self.uri, error="m").svg_inline(scale=5, border=4, dark="#0b0c0c", light="#ffffff")
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def active_factor(user: User) -> TotpFactor | None:
    factor = factor_of(user)
    return factor if factor and factor.is_active else None


def factor_of(user: User) -> TotpFactor | None:
    return db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))


def start_enrolment(user: User) -> Enrolment:
    """A new unconfirmed secret (replacing an earlier unconfirmed one); refused while one is active."""
    existing = factor_of(user)
    if existing is not None and existing.is_active:
        raise Conflict("You already have an authenticator app set up. Remove it before adding another.")
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    secret = pyotp.random_base32(32)
    factor = TotpFactor(user_id=user.id)
    factor.secret_sealed = seal(secret.encode(), _context(user))
    db.session.add(factor)
    db.session.commit()
    return enrolment_for(user, factor)


def enrolment_for(user: User, factor: TotpFactor) -> Enrolment:
    secret = secret_of(factor)
    issuer = f"{current_app.config['SERVICE_NAME']} ({current_app.config['COUNCIL_NAME']})"
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.contact, issuer_name=issuer)
    return Enrolment(factor, secret, uri)


def confirm_enrolment(factor: TotpFactor, code: str, now: datetime | None = None) -> None:
    """The first right code from the app makes the factor active (and is itself used up). Wrong codes
    here do not count towards the lockout: the person is looking at the secret, there is nothing to guess."""
    verify_code(factor, code, now, count_failures=False)
    factor.confirmed_at = now or utcnow()
    db.session.commit()


def secret_of(factor: TotpFactor) -> str:
    return unseal(factor.secret_sealed, f"totp:{factor.user_id}").decode()


def _context(user: User) -> str:
    return f"totp:{user.id}"


def verify_code(factor: TotpFactor, code: str, now: datetime | None = None, count_failures: bool = True) -> None:
    """Accept ``code`` once, or raise WrongCode, CodeAlreadyUsed or FactorLocked."""
    now = now or utcnow()
    _refuse_if_locked(factor, now)
    step = matching_step(secret_of(factor), code, now)
    if step is None:
        if count_failures:
            _record_failure(factor, now)
        raise WrongCode("The code is not right. Check your authenticator app and enter the latest code.")
    if not _claim_step(factor, step, now):
        raise CodeAlreadyUsed("That code has already been used. Wait for your app to show a new code.")


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within the drift window) whose code equals ``code``, compared in constant time."""
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _refuse_if_locked(factor: TotpFactor, now: datetime) -> None:
    db.session.refresh(factor)
    if factor.locked_until is not None and factor.locked_until > now:
        raise FactorLocked(factor.locked_until)


def _claim_step(factor: TotpFactor, step: int, now: datetime) -> bool:
    """Move last_used_step forward to ``step`` if nobody has used this step (or a later one) yet."""
    result = db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == factor.id)
        .where(or_(TotpFactor.last_used_step.is_(None), TotpFactor.last_used_step < step))
        .where(or_(TotpFactor.locked_until.is_(None), TotpFactor.locked_until <= now))
        .values(last_used_step=step, last_used_at=now, failed_attempts=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return rows_changed(result) == 1


def _record_failure(factor: TotpFactor, now: datetime) -> None:
    """Count a wrong code in the database (atomically) and lock the factor at the limit."""
    limit = current_app.config.get("TOTP_MAX_FAILURES", DEFAULT_MAX_FAILURES)
    lockout = current_app.config.get("TOTP_LOCKOUT", DEFAULT_LOCKOUT)
    db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == factor.id)
        .values(
            failed_attempts=TotpFactor.failed_attempts + 1,
            locked_until=case((TotpFactor.failed_attempts + 1 >= limit, now + lockout), else_=TotpFactor.locked_until),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    _refuse_if_locked(factor, now)


def unlock(user: User) -> None:
    """Clear the lockout (after a recovery code proved the person holds the account's backup)."""
    db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.user_id == user.id)
        .values(failed_attempts=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def remove(user: User) -> None:
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    db.session.commit()
