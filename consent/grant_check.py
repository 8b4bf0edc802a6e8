"""The live-grant check the vault API makes on every call (``vault.policy`` asks it, nothing else).

One indexed Core query, built and prepared once per (action, with or without the token's ``grant_id``;
see ``idp.prepared``): the hot path runs no statement construction and loads no ``Grant`` object just to
answer yes or no. It reads the
live rows every time, never a cache, so revocation, narrowing and expiry bite on the very next call in
every process. The same row carries the grant's own sign-in requirement (``min_acr``, ``max_auth_age``),
so the policy learns it without a second query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from consent import scopes as vault_scopes
from consent.models import Grant, GrantModule
from idp.database import utcnow
from idp.prepared import Prepared


def _statement(action: str, by_grant_id: bool) -> Select[Any]:
    grants, modules = Grant.__table__, GrantModule.__table__
    allowed_action = modules.c.can_read if action == "read" else modules.c.can_write
    statement = (
        select(grants.c.id, grants.c.min_acr, grants.c.max_auth_age)
        .join(modules, modules.c.grant_id == grants.c.id)
        .where(grants.c.user_id == bindparam("user_id"), grants.c.client_id == bindparam("client_id"))
        .where(grants.c.revoked_at.is_(None), grants.c.expires_at > bindparam("now", type_=grants.c.expires_at.type))
        .where(modules.c.module == bindparam("module"), allowed_action.is_(True))
        .limit(1)
    )
    return statement.where(grants.c.id == bindparam("grant_id")) if by_grant_id else statement


_STATEMENTS = {
    (action, by_id): Prepared(_statement(action, by_id)) for action in vault_scopes.ACTIONS for by_id in (False, True)
}


def grant_allows(claims: Any, module: str, action: str) -> bool:
    """Whether the citizen's live grant lets this token's client ``action`` the ``module`` now: the grant
    named by the token's ``grant_id`` when it has one, else the live grant of its (user, client)."""
    return allowing_grant(claims, module, action) is not None


def allowing_grant(claims: Any, module: str, action: str) -> Any | None:
    """The live grant row (``id``, ``min_acr``, ``max_auth_age``) that lets this token ``action`` the
    ``module`` now, or None (see ``grant_allows``)."""
    user_id = getattr(claims, "user_id", None)
    if user_id is None or action not in vault_scopes.ACTIONS:
        return None
    grant_id = getattr(claims, "grant_id", None)
    params = {"user_id": user_id, "client_id": claims.client_id, "module": module, "now": utcnow()}
    if grant_id:
        params["grant_id"] = grant_id
    return _STATEMENTS[(action, bool(grant_id))].first(params)
