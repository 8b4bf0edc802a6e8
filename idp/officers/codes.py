"""One-time codes read from a letter or a screen: generated, digested (keyed, per row) and checked.

Codes use an alphabet without look-alike characters (no 0/O, 1/I/L) so they survive being read out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_ATTEMPTS = 5


def new_code(length: int = 12, group: int = 4) -> str:
    """e.g. ``KX7P-3MQA-9TRD``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + group] for i in range(0, length, group))


def normalise(code: str) -> str:
    """What the person typed, without spaces, hyphens or case."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def digest(row_id: str, code: str, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{row_id}:{normalise(code)}".encode(), hashlib.sha256).hexdigest()


def matches(row_id: str, code: str, purpose: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(row_id, code, purpose), stored_digest)
