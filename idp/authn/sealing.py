"""Keys for second-factor secrets, derived from ``SECRET_KEY``.

TOTP seeds must be readable by the server (to compute codes), so they are encrypted at rest, not hashed:
AES-256-GCM under a key derived with HKDF-SHA256 from ``SECRET_KEY`` (info ``logbook/authn/totp/v1``),
a random 96-bit nonce per seal, and associated data naming the row the secret belongs to, so a sealed
secret copied onto another row does not open. Recovery codes are only compared, so they are stored as
HMAC-SHA-256 digests under a second derived key (a database dump alone cannot test guesses offline).

This is not the vault's envelope scheme (per-user data keys wrapped by a KEK): one derived key suits a
few bytes per user. Changing ``SECRET_KEY`` makes enrolled authenticator apps unreadable (people then use
a recovery code and enrol again); rotate it with that in mind.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

VERSION = "v1"
TOTP_INFO = b"logbook/authn/totp/v1"
RECOVERY_INFO = b"logbook/authn/recovery-codes/v1"


class SealError(ValueError):
    """A sealed value is damaged, belongs elsewhere, or was sealed under another SECRET_KEY."""


def derive_key(info: bytes) -> bytes:
    cache = current_app.extensions.setdefault("logbook_authn_keys", {})
    if info not in cache:
        secret = str(current_app.config["SECRET_KEY"]).encode()
        cache[info] = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
    return cache[info]  # type: ignore[no-any-return]


def seal(plaintext: bytes, context: str) -> str:
    nonce = os.urandom(12)
    ciphertext = AESGCM(derive_key(TOTP_INFO)).encrypt(nonce, plaintext, context.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def unseal(sealed: str, context: str) -> bytes:
    version, _, body = sealed.partition(".")
    if version != VERSION:
        raise SealError(f"unknown sealing version {version!r}")
    try:
        blob = base64.urlsafe_b64decode(body)
        return AESGCM(derive_key(TOTP_INFO)).decrypt(blob[:12], blob[12:], context.encode())
    except (InvalidTag, ValueError) as error:
        raise SealError("sealed value does not open") from error


def keyed_digest(value: str) -> str:
    return hmac.new(derive_key(RECOVERY_INFO), value.encode(), hashlib.sha256).hexdigest()
