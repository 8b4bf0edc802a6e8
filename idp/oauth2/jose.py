"""Defensive JWT handling shared by every token we verify (access tokens, id_token_hint, client assertions).

Before any signature check the header is read and refused when it names an algorithm we do not accept
(``none``, any HMAC) or carries its own key (``jwk``, ``jku``, ``x5u``, ``x5c``): the key always comes
from us, never from the token (RFC 8725 sections 2.1, 3.1).
"""

from __future__ import annotations

import base64
import json
from typing import Any

ASYMMETRIC_ALGS = frozenset({"ES256", "RS256"})
KEY_BEARING_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c"})
MAX_JWT_LENGTH = 8192


class UnacceptableJWT(ValueError):
    """The value is not a JWT we are willing to verify."""


def _b64decode(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, TypeError) as error:
        raise UnacceptableJWT("malformed base64url") from error


def unverified_header(token: object, algorithms: frozenset[str] = ASYMMETRIC_ALGS) -> dict[str, Any]:
    """The JOSE header of a compact JWS, checked for shape, algorithm and embedded keys."""
    if not isinstance(token, str) or not token or len(token) > MAX_JWT_LENGTH:
        raise UnacceptableJWT("not a token of acceptable size")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise UnacceptableJWT("not a signed compact JWT")
    try:
        header = json.loads(_b64decode(parts[0]))
    except (ValueError, UnicodeDecodeError) as error:
        raise UnacceptableJWT("malformed header") from error
    if not isinstance(header, dict):
        raise UnacceptableJWT("malformed header")
    if header.get("alg") not in algorithms:
        raise UnacceptableJWT("algorithm not accepted")
    if KEY_BEARING_HEADERS & header.keys() or "crit" in header:
        raise UnacceptableJWT("embedded keys and critical extensions are not accepted")
    return header


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims of a token whose header already passed ``unverified_header`` (used only to find a key)."""
    try:
        claims = json.loads(_b64decode(token.split(".")[1]))
    except (ValueError, UnicodeDecodeError, IndexError) as error:
        raise UnacceptableJWT("malformed payload") from error
    if not isinstance(claims, dict):
        raise UnacceptableJWT("malformed payload")
    return claims
