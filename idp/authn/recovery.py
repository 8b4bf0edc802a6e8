"""Recovery codes: ten single-use look-up secrets, shown once, stored as keyed digests, regenerable.

Using one is atomic (an UPDATE that only succeeds while the code is unused) and also lifts a lockout of
the authenticator app: it proves the person holds the account's backup.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select, update

from idp.accounts.models import User
from idp.authn import totp
from idp.authn.models import RecoveryCode, rows_changed
from idp.authn.sealing import keyed_digest
from idp.database import utcnow
from idp.errors import DomainError
from idp.extensions import db

CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper. 10 characters from 31 give about 49.5 bits each.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10


class WrongRecoveryCode(DomainError):
    status_code = 400
    code = "wrong_recovery_code"


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _digest(user: User, code: str) -> str:
    return keyed_digest(f"{user.id}:{normalise(code)}")


def generate(user: User) -> list[str]:
    """Replace every code the person had with ten new ones; the plain codes are returned once."""
    codes = [_new_code() for _ in range(CODE_COUNT)]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(RecoveryCode(user_id=user.id, code_digest=_digest(user, code)) for code in codes)
    db.session.commit()
    return codes


def use(user: User, code: str) -> None:
    """Spend ``code`` or raise WrongRecoveryCode (also for a code already spent)."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .where(RecoveryCode.code_digest == _digest(user, code))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if rows_changed(result) != 1:
        raise WrongRecoveryCode("That recovery code is not right, or it has already been used.")
    totp.unlock(user)


def remaining(user: User) -> int:
    statement = select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.session.scalar(statement) or 0


def discard(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.commit()
