"""OIDC Core section 5.3 UserInfo: the claims about the End-User for a verified access token.

Every sign-in at a relying party ends with this call, so the account and the authorization's ``claims``
request are read together in one prepared statement (``idp.prepared``), as plain columns: loading a
``User`` through the ORM and then the family's claims request cost more than the rest of the answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from idp.accounts.models import User
from idp.oauth2.access_tokens import AccessTokenClaims
from idp.oauth2.id_tokens import assurance_claims, user_claims
from idp.oauth2.models import TokenFamily
from idp.prepared import Prepared


def _statement() -> Any:
    users, families = User.__table__, TokenFamily.__table__
    columns = ("id", "email", "phone", "email_verified_at", "phone_verified_at", "given_name", "family_name")
    return (
        select(*(users.c[name] for name in columns), users.c.updated_at, users.c.disabled_at)
        .add_columns(families.c.claims_request)
        .select_from(users.outerjoin(families, families.c.id == bindparam("family_id")))
        .where(users.c.id == bindparam("user_id"))
    )


_ACCOUNT = Prepared(_statement())


def userinfo_claims(token: AccessTokenClaims) -> dict[str, Any] | None:
    """The answer for a verified token, or None when it may not have one (no ``openid`` scope, no user
    behind it, or the account is disabled): the caller answers insufficient_scope."""
    if "openid" not in token.scopes or not token.user_id:
        return None
    account = _ACCOUNT.first({"user_id": token.user_id, "family_id": token.family_id})
    if account is None or account.disabled_at is not None:
        return None
    requests = account.claims_request if isinstance(account.claims_request, dict) else None
    assurance = assurance_claims(account.id, token.scopes, requests, "userinfo")
    return {"sub": token.sub, **user_claims(account, token.scopes), **assurance}
