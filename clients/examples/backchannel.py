"""The examples' receiver for OpenID Connect Back-Channel Logout 1.0 (section 2.6): validate the logout
token Logbook POSTs, then say which local sessions it ends."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_CLOCK_SKEW = 300


def is_logout_event(token: str) -> bool:
    """Peek (unverified) at the event: only a logout is acted on, and only after full validation."""
    try:
        payload = token.split(".")[1]
        events = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("events")
    except (IndexError, ValueError, AttributeError):
        return True  # malformed: let validation refuse it
    return not isinstance(events, dict) or LOGOUT_EVENT in events


def logout_claims(token: str, jwks: Any, issuer: str, client_id: str) -> dict[str, Any]:
    """The token's claims once signature, typ, iss, aud, events, jti, iat and sid/sub check out; raises
    ``joserfc.errors.JoseError`` or ``ValueError`` otherwise."""
    decoded = jwt.decode(token, KeySet.import_key_set(jwks))
    claims = decoded.claims
    audience = claims.get("aud")
    if decoded.header.get("typ") != "logout+jwt" or claims.get("iss") != issuer:
        raise ValueError("not a logout token from our issuer")
    if client_id not in (audience if isinstance(audience, list) else [audience]):
        raise ValueError("logout token for another client")
    if "nonce" in claims or not isinstance(claims.get("events"), dict) or not claims.get("jti"):
        raise ValueError("malformed logout token")
    if abs(time.time() - int(claims.get("iat", 0))) > MAX_CLOCK_SKEW or not (claims.get("sid") or claims.get("sub")):
        raise ValueError("stale logout token or no session named")
    return dict(claims)


def ends(entry: dict[str, Any], claims: dict[str, Any]) -> bool:
    """Whether a local session (its Logbook ``sid`` and ``userinfo``) is one the token ends."""
    if claims.get("sid"):
        return bool(entry["sid"] == claims["sid"])
    return bool(entry["userinfo"].get("sub") == claims.get("sub"))
