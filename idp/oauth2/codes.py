"""Authorization codes (RFC 6749 section 4.1.2): stored as digests, 60-second lifetime, single use.

Redemption is one conditional UPDATE that returns the record, so two concurrent redemptions cannot both
win. A second attempt revokes every token issued from the code (RFC 6749 section 4.1.2: "SHOULD revoke ... all tokens
previously issued based on that authorization code").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select, update

from idp.database import new_id, utcnow
from idp.extensions import db
from idp.oauth2.models import AuthorizationCode
from idp.oauth2.tokens import revoke_family, token_digest
from idp.prepared import Prepared

_codes = AuthorizationCode.__table__


@dataclass(frozen=True)
class CodeContext:
    """What the sign-in session knew when the code was issued; tokens inherit it unchanged."""

    user_id: str
    auth_time: int
    acr: str
    amr: list[str]
    sid: str | None
    nonce: str | None = None
    claims: dict[str, Any] | None = None
    grant_id: str | None = None
    scope: str | None = None  # what the citizen allowed, when narrower than what was asked


def new_code() -> str:
    return secrets.token_urlsafe(32)


_STORED = (
    "code_digest client_id user_id redirect_uri scope nonce code_challenge code_challenge_method auth_time acr amr "
    "sid claims grant_id family_id expires_at"
).split()
# Built once (idp.prepared): every authorization stores a code and every token request spends one, and
# building the statements cost more than SQLite takes to run them.
_STORE = Prepared(insert(_codes), column_keys=_STORED)
_SPEND = Prepared(
    update(_codes)
    .where(
        _codes.c.code_digest == bindparam("digest"),
        _codes.c.client_id == bindparam("issued_to"),
        _codes.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now", type_=_codes.c.used_at.type))
    .returning(*_codes.c)
)


def store_code(code: str, client_id: str, redirect_uri: str, scope: str, challenge: str, context: CodeContext) -> None:
    """One prepared insert (no ORM object to flush and then expire at commit)."""
    _STORE.execute(
        {
            "code_digest": token_digest(code),
            "client_id": client_id,
            "user_id": context.user_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "nonce": context.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "auth_time": context.auth_time,
            "acr": context.acr,
            "amr": " ".join(context.amr),
            "sid": context.sid,
            "claims": context.claims,
            "grant_id": context.grant_id,
            "family_id": new_id(),
            "expires_at": utcnow() + timedelta(seconds=current_app.config["AUTHORIZATION_CODE_LIFETIME"]),
        }
    )
    db.session.commit()


def redeem_code(code: object, client_id: str) -> AuthorizationCode | None:
    """The code's record if this is its first, timely use by the client it was issued to; else None.

    Spent with one ``UPDATE ... WHERE used_at IS NULL RETURNING`` (SQLite >= 3.35, PostgreSQL), committed at
    once, so that of two concurrent redemptions only one can win, and a failed exchange still spends it."""
    if not isinstance(code, str) or not code or len(code) > 256:
        return None
    digest = token_digest(code)
    spent = _SPEND.first({"digest": digest, "issued_to": client_id, "now": utcnow()})
    if spent is None:
        mine = (_codes.c.code_digest == digest, _codes.c.client_id == client_id)
        replayed = db.session.scalar(select(_codes.c.family_id).where(*mine, _codes.c.used_at.is_not(None)))
        if replayed is not None:
            revoke_family(replayed)  # a replayed code: whatever it bought is revoked
        return None
    db.session.commit()
    # A detached record for Authlib and the token service; nothing about it is written again.
    record = AuthorizationCode(**spent._asdict())
    return record if record.expires_at > utcnow() else None
