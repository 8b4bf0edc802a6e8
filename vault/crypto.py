"""Envelope encryption for the vault (no Flask, no database here).

Each citizen has a random AES-256-GCM data key. It is stored only wrapped by a key-encryption key (KEK):
AES-256-GCM under the KEK, with the user id and KEK id as associated data, so a wrapped key copied to
another user's row does not unwrap. Each record version is sealed under the data key with associated data
binding (user, module, record id, version): a ciphertext moved to another row, user or version fails.

KEKs live in ``<KEYS_DIR>/vault-kek/<kek_id>.key`` (mode 0600, generated on first start) or come from
configuration (``LOGBOOK_VAULT_KEK``). Several KEKs are held by id so that rotation can re-wrap data keys
while older wrappings still open.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_V1 = b"\x01"  # leading byte of every sealed blob, so the format can change later
KEK_DIR_NAME = "vault-kek"


class VaultCryptoError(Exception):
    """Base for the vault's cryptographic failures."""


class RecordIntegrityError(VaultCryptoError):
    """A ciphertext failed authentication: tampered, truncated, or moved to another row or user."""


class UnknownKek(VaultCryptoError):
    """A data key is wrapped under a KEK this store does not hold."""


class KekStoreError(VaultCryptoError):
    """The KEK store cannot do what was asked (bad configuration, or an unsafe retirement)."""


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as error:
        raise KekStoreError("a key-encryption key is not valid base64url") from error


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return _open_with(AESGCM(key), blob, aad)


def _open_with(aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
        raise RecordIntegrityError("ciphertext is malformed")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, body, aad)
    except InvalidTag as error:
        raise RecordIntegrityError("ciphertext failed its integrity check (tampered or moved)") from error


def _aad(*parts: str | int) -> bytes:
    # Length-prefixed parts: ("ab", "c") and ("a", "bc") must never give the same associated data.
    out = bytearray()
    for part in parts:
        encoded = str(part).encode()
        out += len(encoded).to_bytes(4, "big")
        out += encoded
    return bytes(out)


RECORD_AAD_LABEL = "logbook-vault-record-v1"


def record_aad(user_id: str, module: str, record_id: str, version: int) -> bytes:
    return _aad(RECORD_AAD_LABEL, user_id, module, record_id, version)


def encrypt_record(data_key: bytes, plaintext: bytes, user_id: str, module: str, record_id: str, version: int) -> bytes:
    return _seal(data_key, plaintext, record_aad(user_id, module, record_id, version))


def decrypt_record(data_key: bytes, blob: bytes, user_id: str, module: str, record_id: str, version: int) -> bytes:
    """The plaintext, or ``RecordIntegrityError`` if the blob is not this exact record version's."""
    return _open(data_key, blob, record_aad(user_id, module, record_id, version))


HELD_FORM_AAD_LABEL = "logbook-vault-held-form-v1"


def held_form_aad(user_id: str, login_session_id: str, path: str) -> bytes:
    """A held form opens only for the citizen, sign-in session and page it was held for."""
    return _aad(HELD_FORM_AAD_LABEL, user_id, login_session_id, path)


def encrypt_held_form(data_key: bytes, plaintext: bytes, user_id: str, login_session_id: str, path: str) -> bytes:
    return _seal(data_key, plaintext, held_form_aad(user_id, login_session_id, path))


def decrypt_held_form(data_key: bytes, blob: bytes, user_id: str, login_session_id: str, path: str) -> bytes:
    """The plaintext, or ``RecordIntegrityError`` if the blob was not held for this user, session and page."""
    return _open(data_key, blob, held_form_aad(user_id, login_session_id, path))


class ModuleOpener:
    """Opens many records of one citizen's module (a module read opens all of them): the AEAD object and
    the associated data's common prefix (label, user, module) are built once. The associated data is
    exactly ``record_aad``'s, because its parts are length-prefixed one after another."""

    def __init__(self, data_key: bytes, user_id: str, module: str) -> None:
        self._aead = AESGCM(data_key)
        self._prefix = _aad(RECORD_AAD_LABEL, user_id, module)

    def decrypt(self, blob: bytes, record_id: str, version: int) -> bytes:
        """The plaintext, or ``RecordIntegrityError`` if the blob is not this exact record version's."""
        return _open_with(self._aead, blob, self._prefix + _aad(record_id, version))


@dataclass(frozen=True)
class Kek:
    kek_id: str
    key: bytes
    created_at: int


@dataclass(frozen=True)
class WrappedKey:
    kek_id: str
    wrapped: bytes


class KekStore:
    """Key-encryption keys by id; ``current`` wraps new data keys, the others only unwrap."""

    def __init__(self, keks: list[Kek], current_id: str, directory: Path | None = None) -> None:
        if current_id not in {kek.kek_id for kek in keks}:
            raise KekStoreError("the current KEK is not in the store")
        self._keks = {kek.kek_id: kek for kek in keks}
        self.current_id = current_id
        self.directory = directory  # None when the KEKs come from configuration

    @property
    def ids(self) -> list[str]:
        return sorted(self._keks, key=lambda kek_id: self._keks[kek_id].created_at)

    def wrap(self, data_key: bytes, user_id: str) -> WrappedKey:
        kek = self._keks[self.current_id]
        return WrappedKey(kek.kek_id, _seal(kek.key, data_key, _aad("logbook-vault-dek-v1", user_id, kek.kek_id)))

    def unwrap(self, wrapped: WrappedKey, user_id: str) -> bytes:
        kek = self._keks.get(wrapped.kek_id)
        if kek is None:
            raise UnknownKek(f"data key is wrapped under KEK {wrapped.kek_id!r}, which is not available")
        return _open(kek.key, wrapped.wrapped, _aad("logbook-vault-dek-v1", user_id, kek.kek_id))

    def rewrap(self, wrapped: WrappedKey, user_id: str) -> WrappedKey:
        return self.wrap(self.unwrap(wrapped, user_id), user_id)

    # -- file-backed lifecycle ----------------------------------------------------------------------
    def add_new(self) -> Kek:
        """Generate a KEK, make it current and persist it (file-backed stores only)."""
        if self.directory is None:
            raise KekStoreError("KEKs come from configuration: add the new key there (first entry is current)")
        kek = _write_new_kek(self.directory)
        self._keks[kek.kek_id] = kek
        self.current_id = kek.kek_id
        return kek

    def remove(self, kek_id: str) -> None:
        """Delete a KEK file. Callers must first prove no data key still uses it."""
        if self.directory is None:
            raise KekStoreError("KEKs come from configuration: remove the key there")
        if kek_id == self.current_id:
            raise KekStoreError("the current KEK cannot be retired; rotate first")
        if kek_id not in self._keks:
            raise KekStoreError(f"no KEK {kek_id!r}")
        (self.directory / f"{kek_id}.key").unlink()
        del self._keks[kek_id]


def _write_new_kek(directory: Path) -> Kek:
    kek = Kek(kek_id=f"kek-{int(time.time())}-{secrets.token_hex(4)}", key=new_data_key(), created_at=time.time_ns())
    path = directory / f"{kek.kek_id}.key"
    temporary = path.with_suffix(".tmp")
    # Created 0600 from the start so the key is never readable by others, even briefly.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{kek.created_at} {b64u_encode(kek.key)}\n")
    os.replace(temporary, path)
    return kek


def _read_kek(path: Path) -> Kek:
    created_at, encoded = path.read_text().split()
    key = b64u_decode(encoded)
    if len(key) != KEY_BYTES:
        raise KekStoreError(f"{path.name} does not hold a 256-bit key")
    return Kek(kek_id=path.stem, key=key, created_at=int(created_at))


def load_directory_store(keys_dir: Path) -> KekStore:
    """KEKs from ``<keys_dir>/vault-kek/``; the newest is current. Generates one on first start."""
    directory = Path(keys_dir) / KEK_DIR_NAME
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Several workers may start at once on a fresh machine: only one of them generates the first KEK.
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        keks = [_read_kek(path) for path in sorted(directory.glob("*.key"))]
        if not keks:
            keks = [_write_new_kek(directory)]
    current = max(keks, key=lambda kek: kek.created_at)
    return KekStore(keks, current.kek_id, directory)


def load_configured_store(setting: str) -> KekStore:
    """KEKs from configuration: either one base64url key, or ``id=key,id=key`` with the current first."""
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    keks = [_configured_kek(entry, position) for position, entry in enumerate(entries)]
    if not keks:
        raise KekStoreError("LOGBOOK_VAULT_KEK is empty")
    return KekStore(keks, keks[0].kek_id)


def _configured_kek(entry: str, position: int) -> Kek:
    kek_id, _, encoded = entry.partition("=") if "=" in entry.rstrip("=") else ("", "", entry)
    key = b64u_decode(encoded)
    if len(key) != KEY_BYTES:
        raise KekStoreError("LOGBOOK_VAULT_KEK must hold 256-bit keys (43 base64url characters)")
    kek_id = kek_id or "cfg-" + hashlib.sha256(key).hexdigest()[:12]
    # Earlier entries rank newer, so the first one is current.
    return Kek(kek_id=kek_id, key=key, created_at=-position)
