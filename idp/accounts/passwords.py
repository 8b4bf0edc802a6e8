"""Password hashing with argon2id (argon2-cffi), parameters from configuration.

Hashes made with older parameters are upgraded at the next successful sign-in (``needs_rehash``).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# A fixed, valid hash to verify against when the account does not exist, so that "no such account"
# costs the same time as "wrong password" and does not reveal which addresses are registered.
_DUMMY_PASSWORD = "logbook-timing-equaliser"

# NIST SP 800-63B: at least 8 characters, at least 64 allowed. Anything longer than the maximum is
# refused before hashing, so a huge "password" cannot make us burn CPU.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def hasher() -> PasswordHasher:
    config = current_app.config
    cached = current_app.extensions.get("logbook_password_hasher")
    if cached is None:
        cached = PasswordHasher(
            time_cost=config["ARGON2_TIME_COST"],
            memory_cost=config["ARGON2_MEMORY_COST"],
            parallelism=config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        current_app.extensions["logbook_password_hasher"] = cached
        current_app.extensions["logbook_dummy_hash"] = cached.hash(_DUMMY_PASSWORD)
    return cached  # type: ignore[no-any-return]


def hash_password(password: str) -> str:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError("password longer than MAX_PASSWORD_LENGTH: refuse it before hashing")
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check: an absent hash still costs one argon2 verification."""
    ph = hasher()
    if len(password) > MAX_PASSWORD_LENGTH:
        return False  # never hash oversize input; no account can have such a password
    target = password_hash or current_app.extensions["logbook_dummy_hash"]
    try:
        ph.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def spend_equal_work() -> None:
    """One argon2 verification against the dummy hash: paths that must not be told apart by timing
    (known and unknown addresses) call this instead of skipping the work."""
    verify_password(None, _DUMMY_PASSWORD)


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most used passwords in zxcvbn's frequency list (from leaked-password corpora)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *personal: str | None) -> str | None:
    """Why ``password`` may not be used, or None. ``personal`` values (email, phone) may not be reused."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Your password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) == 1:
        return "This password is too common. Choose a password that is harder to guess"
    if any(value and lowered == value.lower() for value in personal):
        return "Your password must not be your email address or phone number"
    return None
