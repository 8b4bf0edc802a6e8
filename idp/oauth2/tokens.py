"""The token service: issue, rotate and revoke, with lean SQLAlchemy Core statements on the hot paths.

Tokens issued from one authorization share a ``TokenFamily``; revoking the family (a reused code, a
replayed refresh token, withdrawn consent, logout) revokes every access and refresh token in it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, literal, select, update

from clients.models import Client
from idp import metrics
from idp.accounts import sessions
from idp.accounts.models import LoginSession
from idp.database import utcnow
from idp.extensions import db
from idp.oauth2.access_tokens import issue_access_token
from idp.oauth2.models import AuthorizationCode, RefreshToken, RevokedAccessToken, TokenFamily
from idp.prepared import Prepared

OFFLINE_ACCESS = "offline_access"
# The two rows every code exchange writes, built once (idp.prepared): building the inserts cost more than
# SQLite takes to run them.
_NEW_FAMILY = Prepared(
    insert(TokenFamily.__table__),
    column_keys="id client_id user_id scope auth_time acr amr sid grant_id claims_request created_at".split(),
)
_NEW_REFRESH_TOKEN = Prepared(
    insert(RefreshToken.__table__), column_keys="token_digest family_id client_id created_at expires_at".split()
)


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def affected(result: Any) -> int:
    """Rows changed by an UPDATE (CursorResult.rowcount, which the generic Result type hides)."""
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_families(*conditions: Any) -> int:
    """Revoke every family matching ``conditions`` (Core where-clauses on TokenFamily) and its refresh
    tokens; its access tokens fail verification from now on because they name the family."""
    now = utcnow()
    families = TokenFamily.__table__
    result = db.session.execute(
        update(families).where(families.c.revoked_at.is_(None), *conditions).values(revoked_at=now)
    )
    ids = db.select(families.c.id).where(*conditions).scalar_subquery()
    refresh = RefreshToken.__table__
    db.session.execute(
        update(refresh).where(refresh.c.family_id.in_(ids), refresh.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    db.session.commit()
    return affected(result)


def revoke_family(family_id: str) -> int:
    return revoke_families(TokenFamily.__table__.c.id == family_id)


def revoke_grant_tokens(grant_id: str) -> int:
    """Consent withdrawn: every token issued under that consent grant stops working now."""
    return revoke_families(TokenFamily.__table__.c.grant_id == grant_id)


def revoke_session_tokens(sid: str, keep_offline: bool = False) -> int:
    """A sign-in session ended (logout): the tokens issued from it go with it. With ``keep_offline`` (the
    session timed out) families granted ``offline_access`` stay: they were meant to outlive it."""
    families = TokenFamily.__table__
    conditions = [families.c.sid == sid]
    if keep_offline:
        padded = literal(" ") + families.c.scope + literal(" ")
        conditions.append(padded.not_like(f"% {OFFLINE_ACCESS.replace('_', '/_')} %", escape="/"))
    return revoke_families(*conditions)


def revoke_client_tokens(client_id: str) -> int:
    """A disabled client keeps nothing: its families are revoked here, and verification refuses every
    token of a disabled client (client-credentials tokens included)."""
    return revoke_families(TokenFamily.__table__.c.client_id == client_id)


def revoke_access_token(jti: str, client_id: str = "", expires_at: int | None = None) -> bool:
    """Put one access token on the deny-list until it would have expired anyway (a day when unknown)."""
    from sqlalchemy.exc import IntegrityError

    table = RevokedAccessToken.__table__
    until = _from_timestamp(expires_at) if expires_at else utcnow() + timedelta(days=1)
    values = {"jti": jti, "client_id": client_id, "expires_at": until, "revoked_at": utcnow()}
    try:
        with db.session.begin_nested():
            db.session.execute(insert(table).values(**values))
    except IntegrityError:
        return False  # already revoked
    db.session.commit()
    return True


def _from_timestamp(value: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(value, UTC)


class InvalidGrant(Exception):
    """RFC 6749 section 5.2 invalid_grant: the code or refresh token is invalid, expired, revoked or reused."""


@dataclass(frozen=True)
class Family:
    id: str
    user_id: str | None
    scope: str
    auth_time: int | None
    acr: str | None
    amr: str | None
    sid: str | None
    grant_id: str | None
    claims_request: dict[str, Any] | None = None  # idp.oauth2.claims_request, from the authorization


def issue_for_code(client: Client, code: AuthorizationCode) -> dict[str, Any]:
    """Tokens for a redeemed authorization code, in one transaction, as a new token family."""
    family = Family(
        code.family_id,
        code.user_id,
        code.scope,
        code.auth_time,
        code.acr,
        code.amr,
        code.sid,
        code.grant_id,
        code.claims or None,
    )
    _NEW_FAMILY.execute({**family.__dict__, "client_id": client.client_id, "created_at": utcnow()})
    return _issue(client, family, frozenset(code.scope.split()), nonce=code.nonce)


def issue_for_client(client_id: str, scopes: frozenset[str]) -> dict[str, Any]:
    """RFC 6749 section 4.4: a client acting for itself; no refresh token, no user, nothing written (so no
    commit either: it would only round-trip and expire whatever the session holds)."""
    issued = issue_access_token(client_id, client_id, scopes, commit=False)
    metrics.count_token_issued("client_credentials")
    return {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": " ".join(sorted(scopes)),
    }


def find_refresh_token(presented: object) -> tuple[RefreshToken, Family] | None:
    """A live refresh token. Presenting a spent one revokes its whole family."""
    if not isinstance(presented, str) or not presented or len(presented) > 256:
        return None
    row = db.session.scalar(select(RefreshToken).where(RefreshToken.token_digest == token_digest(presented)))
    if row is None:
        return None
    if row.used_at is not None:
        revoke_family(row.family_id)  # RFC 9700 section 4.14.2: reuse means theft; end the family
        return None
    family = _family(row.family_id)
    if row.revoked_at or row.expires_at <= utcnow() or family is None or not session_holds(family.sid, family.scope):
        return None
    return row, family


def session_holds(sid: str | None, scope: str) -> bool:
    """Whether a refresh token of a family with this ``sid`` and ``scope`` may still be used. OIDC Core
    section 11: only ``offline_access`` outlives the sign-in session; any other refresh token lives no
    longer than the session it was issued in. A session past its timeout that no one has ended yet (its
    browser never came back) is ended here, by the one rule: tokens revoked, clients told."""
    if sid is None or OFFLINE_ACCESS in scope.split():
        return True
    login = db.session.get(LoginSession, sid)
    if login is None:
        return False  # ended already (its families were revoked then) or gone with the account
    if sessions.timed_out(login):
        sessions.end_sessions([login], by_timeout=True)
        return False
    return True


def rotate_refresh_token(client: Client, row: RefreshToken, family: Family, scopes: frozenset[str]) -> dict[str, Any]:
    """Spend ``row`` and issue a successor. Auth time and acr stay as at sign-in: refresh never raises them."""
    table = RefreshToken.__table__
    spent = db.session.execute(
        update(table)
        .where(table.c.token_digest == row.token_digest, table.c.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if not affected(spent):
        db.session.rollback()
        revoke_family(family.id)
        raise InvalidGrant("refresh token already used")
    return _issue(client, family, scopes)


def _family(family_id: str) -> Family | None:
    families = TokenFamily.__table__
    row = db.session.execute(
        select(families).where(families.c.id == family_id, families.c.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return Family(
        row.id, row.user_id, row.scope, row.auth_time, row.acr, row.amr, row.sid, row.grant_id, row.claims_request
    )


def claims_request_of(family_id: str | None) -> dict[str, Any] | None:
    """The claims parameter an authorization asked for, for userinfo answers to its tokens."""
    if family_id is None:
        return None
    families = TokenFamily.__table__
    value = db.session.execute(select(families.c.claims_request).where(families.c.id == family_id)).scalar()
    return value if isinstance(value, dict) else None


def _issue(client: Client, family: Family, scopes: frozenset[str], nonce: str | None = None) -> dict[str, Any]:
    from idp.oauth2.id_tokens import assurance_claims, issue_id_token
    from idp.oauth2.subjects import subject_for

    sub = subject_for(family.user_id or "", client)
    amr = (family.amr or "").split()
    access = issue_access_token(
        client.client_id,
        sub,
        scopes,
        user_id=family.user_id,
        auth_time=family.auth_time,
        acr=family.acr,
        amr=amr,
        sid=family.sid,
        family_id=family.id,
        grant_id=family.grant_id,
        commit=False,
    )
    response: dict[str, Any] = {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "scope": " ".join(sorted(scopes)),
    }
    if client.check_grant_type("refresh_token"):
        response["refresh_token"] = _new_refresh_token(client.client_id, family.id)
    if "openid" in scopes:
        context = {"auth_time": family.auth_time, "acr": family.acr, "amr": amr, "sid": family.sid, "nonce": nonce}
        if family.user_id:
            context.update(assurance_claims(family.user_id, scopes, family.claims_request, "id_token"))
        response["id_token"] = issue_id_token(client, sub, context, access.token)
    db.session.commit()
    return response


def _new_refresh_token(client_id: str, family_id: str) -> str:
    value = secrets.token_urlsafe(32)
    lifetime = timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME"])
    now = utcnow()
    _NEW_REFRESH_TOKEN.execute(
        {
            "token_digest": token_digest(value),
            "family_id": family_id,
            "client_id": client_id,
            "created_at": now,
            "expires_at": now + lifetime,
        }
    )
    return value


def purge_expired() -> dict[str, int]:
    """Delete what can no longer matter: expired access-token ids, codes, refresh tokens, assertion ids.

    Spent refresh tokens are kept until they expire, so that a replay is still recognised as reuse."""
    from sqlalchemy import delete

    from idp.oauth2.models import SpentAssertion

    now = utcnow()
    counts: dict[str, int] = {}
    for name, table in (
        ("revoked_access_tokens", RevokedAccessToken.__table__),
        ("authorization_codes", AuthorizationCode.__table__),
        ("refresh_tokens", RefreshToken.__table__),
        ("spent_assertions", SpentAssertion.__table__),
    ):
        counts[name] = affected(db.session.execute(delete(table).where(table.c.expires_at < now)))
    db.session.commit()
    return counts
