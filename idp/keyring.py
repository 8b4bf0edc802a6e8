"""Signing keys: generated into ``keys/`` on first start, rotated and retired from the CLI.

Each key is a private JWK in its own file (mode 0600) with a small status record beside it. A key is
``current`` (signs new tokens), ``retiring`` (still published so tokens it signed verify until they
expire) or gone. ES256 is the default signing algorithm; an RS256 key is kept for relying parties that
cannot verify ES256.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey

SUPPORTED_ALGORITHMS = ("ES256", "RS256")
SIGNING_DIR = "signing"
KID_PATTERN = re.compile(r"[a-z0-9]+-[0-9]{8}-[0-9a-f]{8}")  # as _add_key names them: no path can hide in one


class KeyringError(RuntimeError):
    """The key store is missing, unreadable or asked to do something unsafe."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    status: str  # "current" or "retiring"
    created_at: int
    retiring_since: int | None
    jwk: ECKey | RSAKey

    def public_jwk(self) -> dict[str, Any]:
        return dict(self.jwk.as_dict(private=False))


def _generate(alg: str, kid: str) -> ECKey | RSAKey:
    parameters: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=parameters, private=True)
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=parameters, private=True)
    raise KeyringError(f"unsupported signing algorithm {alg}")


@lru_cache(maxsize=64)
def _import_jwk(canonical_jwk: str) -> ECKey | RSAKey:
    """Parse a key once per process: importing an RSA private key checks it (~40 ms), and keyrings reload
    on a timer and whenever a new kid appears, so an unchanged file is never parsed twice."""
    jwk_data = json.loads(canonical_jwk)
    key_class = ECKey if jwk_data["kty"] == "EC" else RSAKey
    return key_class.import_key(jwk_data)


def _write_private(path: Path, document: dict[str, Any]) -> None:
    # Create with 0600 from the start so the key is never readable by others, even briefly.
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle)
    os.replace(temporary, path)


class Keyring:
    """The provider's signing keys, loaded from a directory."""

    def __init__(self, keys_dir: Path, default_alg: str = "ES256") -> None:
        if default_alg not in SUPPORTED_ALGORITHMS:
            raise KeyringError(f"signing algorithm must be one of {SUPPORTED_ALGORITHMS}")
        self.directory = Path(keys_dir) / SIGNING_DIR
        self.default_alg = default_alg
        self._keys: list[SigningKey] = []
        self._public_jwks: dict[str, Any] = {"keys": []}
        self._verification_set = KeySet([])
        self._loaded_at = 0.0

    # -- lifecycle -----------------------------------------------------------------------------------
    def ensure(self) -> Keyring:
        """Generate a current key for each supported algorithm that lacks one, then load."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Several workers may start at once on a fresh machine: only one of them generates keys.
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.reload()
            for alg in SUPPORTED_ALGORITHMS:
                if not any(key.alg == alg and key.status == "current" for key in self._keys):
                    self._add_key(alg)
            return self.reload()

    def reload(self) -> Keyring:
        keys = [self._load(path) for path in sorted(self.directory.glob("*.json"))]
        self._keys = sorted(keys, key=lambda key: key.created_at)
        self._public_jwks = {"keys": [key.public_jwk() for key in self._keys]}
        self._verification_set = KeySet([key.jwk for key in self._keys])
        self._loaded_at = time.monotonic()
        return self

    def reload_if_older_than(self, seconds: float) -> Keyring:
        """Pick up keys rotated or retired by another process (the CLI, another host) without a restart."""
        return self.reload() if time.monotonic() - self._loaded_at >= seconds else self

    def reload_if_new(self, kid: object) -> Keyring:
        """Reload when ``kid`` (from an untrusted token header) names a key file not loaded here yet: one
        ``stat``, so a stream of made-up kids never becomes a stream of reloads."""
        if isinstance(kid, str) and KID_PATTERN.fullmatch(kid) and (self.directory / f"{kid}.json").exists():
            self.reload()
        return self

    def rotate(self, alg: str | None = None) -> SigningKey:
        """Add a new current key; the previous one keeps being published as retiring."""
        alg = alg or self.default_alg
        now = int(time.time())
        for key in self._keys:
            if key.alg == alg and key.status == "current":
                self._save(key, status="retiring", retiring_since=now)
        new_key = self._add_key(alg)
        self.reload()
        return new_key

    def retire(self, min_age_seconds: int, kid: str | None = None) -> list[str]:
        """Remove retiring keys whose tokens have all expired (retiring for at least min_age_seconds)."""
        now = int(time.time())
        removed = []
        for key in self._keys:
            if key.status != "retiring" or (kid and key.kid != kid):
                continue
            if kid is None and now - (key.retiring_since or now) < min_age_seconds:
                continue
            (self.directory / f"{key.kid}.json").unlink()
            removed.append(key.kid)
        if kid and not removed:
            raise KeyringError(f"no retiring key with kid {kid}")
        self.reload()
        return removed

    # -- use -----------------------------------------------------------------------------------------
    def signing_key(self, alg: str | None = None) -> SigningKey:
        alg = alg or self.default_alg
        for key in reversed(self._keys):
            if key.alg == alg and key.status == "current":
                return key
        raise KeyringError(f"no current {alg} signing key; run `logbook keys rotate --alg {alg}`")

    @property
    def keys(self) -> list[SigningKey]:
        return list(self._keys)

    @property
    def public_jwks(self) -> dict[str, Any]:
        return self._public_jwks

    @property
    def verification_set(self) -> KeySet:
        return self._verification_set

    # -- storage -------------------------------------------------------------------------------------
    def _add_key(self, alg: str) -> SigningKey:
        kid = f"{alg.lower()}-{time.strftime('%Y%m%d')}-{secrets.token_hex(4)}"
        jwk = _generate(alg, kid)
        key = SigningKey(kid, alg, "current", int(time.time()), None, jwk)
        self._save(key)
        return key

    def _save(self, key: SigningKey, status: str | None = None, retiring_since: int | None = None) -> None:
        document = {
            "status": status or key.status,
            "created_at": key.created_at,
            "retiring_since": retiring_since if retiring_since is not None else key.retiring_since,
            "jwk": key.jwk.as_dict(private=True),
        }
        _write_private(self.directory / f"{key.kid}.json", document)

    def _load(self, path: Path) -> SigningKey:
        try:
            document = json.loads(path.read_text())
            jwk_data = document["jwk"]
            jwk = _import_jwk(json.dumps(jwk_data, sort_keys=True))
        except (OSError, ValueError, KeyError) as error:
            raise KeyringError(f"cannot read signing key {path.name}: {error}") from error
        return SigningKey(
            kid=jwk_data["kid"],
            alg=jwk_data["alg"],
            status=document["status"],
            created_at=document["created_at"],
            retiring_since=document.get("retiring_since"),
            jwk=jwk,
        )
