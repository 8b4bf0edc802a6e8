"""Looking tokens up for revocation (RFC 7009) and introspection (RFC 7662), one indexed query each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, UnsupportedTokenTypeError
from flask import Request, current_app
from sqlalchemy import select

from clients.models import Client
from consent.authorization_details import granted as granted_details
from idp.extensions import db
from idp.oauth2 import client_auth
from idp.oauth2.access_tokens import InvalidAccessToken, decode_access_token, live_state
from idp.oauth2.id_tokens import IDENTITY_LEVEL_CLAIM
from idp.oauth2.models import RefreshToken, TokenFamily
from idp.oauth2.tokens import revoke_access_token, revoke_family, session_holds, token_digest
from idp.officers.identity import identity_level

# Resource servers registered with this scope may introspect tokens issued to other clients.
INTROSPECTION_SCOPE = "introspect"
SUPPORTED_TOKEN_TYPES = ("access_token", "refresh_token")


@dataclass
class FoundToken:
    kind: str  # "access_token" or "refresh_token"
    client_id: str
    expires_at: int
    revoked: bool
    key: str  # jti or family id
    claims: dict[str, Any] = field(default_factory=dict)

    def check_client(self, client: Client) -> bool:
        return self.client_id == client.client_id

    def is_expired(self) -> bool:
        return self.expires_at <= int(time.time())

    def is_revoked(self) -> bool:
        return self.revoked

    def get_scope(self) -> str:
        return str(self.claims.get("scope", ""))


def find_token(value: object, hint: str | None) -> FoundToken | None:
    """The token, whichever kind it is (the hint only orders the search, RFC 7009 section 2.1)."""
    if not isinstance(value, str) or not value or len(value) > 8192:
        return None
    finders = (_find_refresh, _find_access) if hint == "refresh_token" else (_find_access, _find_refresh)
    for finder in finders:
        found = finder(value)
        if found is not None:
            return found
    return None


def _find_access(value: str) -> FoundToken | None:
    if value.count(".") != 2:
        return None
    try:
        claims = decode_access_token(value)
    except InvalidAccessToken:
        return None
    state = live_state(claims)
    revoked = state is None
    if not isinstance(claims.get("exp"), int | float):
        return None
    return FoundToken("access_token", str(claims["client_id"]), int(claims["exp"]), revoked, claims["jti"], claims)


def _find_refresh(value: str) -> FoundToken | None:
    refresh, families = RefreshToken.__table__, TokenFamily.__table__
    row = db.session.execute(
        select(
            refresh,
            families.c.scope,
            families.c.user_id,
            families.c.acr,
            families.c.amr,
            families.c.auth_time,
            families.c.sid,
            families.c.grant_id,
            families.c.revoked_at.label("family_revoked"),
        )
        .join(families, families.c.id == refresh.c.family_id)
        .where(refresh.c.token_digest == token_digest(value))
    ).first()
    if row is None:
        return None
    revoked = row.revoked_at is not None or row.used_at is not None or row.family_revoked is not None
    scope = row.scope if revoked else _obtainable_now(row)
    claims = {
        "scope": scope,
        "acr": row.acr,
        "amr": (row.amr or "").split(),
        "auth_time": row.auth_time,
        "iat": int(row.created_at.timestamp()),
        "user_id": row.user_id,
    }
    if row.user_id:
        claims[IDENTITY_LEVEL_CLAIM] = identity_level(row.user_id)
    revoked = revoked or not scope
    return FoundToken("refresh_token", row.client_id, int(row.expires_at.timestamp()), revoked, row.family_id, claims)


def _obtainable_now(row: Any) -> str:
    """The scope a refresh with this token would get now, as ``grants.RefreshTokenGrant`` decides it: vault
    scopes only while the consent still grants them; empty (so inactive) when nothing it was for is still
    shared or its sign-in session has ended."""
    from consent.services import refresh_scopes

    if not session_holds(row.sid, row.scope):
        return ""
    return " ".join(sorted(refresh_scopes(row.user_id, row.client_id, row.grant_id, row.scope.split())))


def may_introspect(client: Client | client_auth.ClientSnapshot, token: FoundToken) -> bool:
    return token.client_id == client.client_id or INTROSPECTION_SCOPE in client.scopes


def _refresh_subject(token: FoundToken) -> str | None:
    from clients.services import find_client
    from idp.oauth2.subjects import subject_for

    client = find_client(token.client_id)
    user_id = token.claims.get("user_id")
    return subject_for(user_id, client) if client is not None and user_id else None


def describe(token: FoundToken) -> dict[str, Any]:
    """RFC 7662 section 2.2 members for an active token."""
    claims = dict(token.claims)
    if token.kind == "refresh_token":
        claims["sub"] = _refresh_subject(token)
    payload: dict[str, Any] = {
        "active": True,
        "client_id": token.client_id,
        "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
        "scope": claims.get("scope", ""),
        "exp": token.expires_at,
        "iss": current_app.config["ISSUER"],
    }
    for name in ("iat", "sub", "aud", "jti", "acr", "amr", "auth_time", "sid", IDENTITY_LEVEL_CLAIM):
        if claims.get(name) not in (None, "", []):
            payload[name] = claims[name]
    details = granted_details(str(payload["scope"]).split())  # RFC 9396 section 9.2
    if details:
        payload["authorization_details"] = details
    return payload


def handles(request: Request) -> bool:
    """Introspection with a shared-secret client (the usual resource server) takes the lean path."""
    return not request.args and handles_form(request.form)


def handles_form(form: Any) -> bool:
    return not client_auth.uses_assertion(form)


def introspection_response(request: Request) -> dict[str, Any]:
    return introspect(request.headers, request.form)


def introspect(headers: Any, form: Any) -> dict[str, Any]:
    """RFC 7662 section 2: authenticate the caller, then describe the token if it is active and the caller
    may see it, else ``{"active": false}``. The same rules as ``idp.oauth2.server.Introspection``.
    ``headers`` and ``form``: the Flask view's request, or ``idp.oauth2.fast_path``'s parsed request."""
    client = client_auth.authenticate(headers, form)
    if "token" not in form:
        raise InvalidRequestError()
    hint = form.get("token_type_hint")
    if hint and hint not in SUPPORTED_TOKEN_TYPES:
        raise UnsupportedTokenTypeError()
    token = find_token(form["token"], hint)
    if token is None or not may_introspect(client, token) or token.is_expired() or token.is_revoked():
        return {"active": False}
    return describe(token)


def revoke(token: FoundToken) -> None:
    """A refresh token takes its whole grant with it (RFC 7009 section 2.1); an access token goes alone."""
    if token.kind == "refresh_token":
        revoke_family(token.key)
    else:
        revoke_access_token(token.key, token.client_id, token.expires_at)
