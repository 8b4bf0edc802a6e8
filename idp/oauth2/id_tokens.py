"""ID tokens (OIDC Core section 2) and the claims behind the standard scopes (section 5.4)."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

from flask import current_app
from joserfc import jwt

from clients.models import Client
from idp.accounts.models import User
from idp.oauth2.access_tokens import keyring

SCOPE_CLAIMS = {
    "profile": ("name", "given_name", "family_name", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
}
# OpenID Connect for Identity Assurance 1.0: verified_claims are asked for with the claims parameter
# (idp.oauth2.claims_request) or, as the spec allows providers to offer, with this scope. Either way the
# scope must be consented: it is not a sign-in scope, so even first-party council services only get it
# with the citizen's recorded consent.
VERIFIED_CLAIMS_SCOPE = "identity_assurance"
IDENTITY_LEVEL_CLAIM = "identity_level"  # idp.authn.levels identity levels: self-asserted ... verified-in-person


def half_hash(value: str) -> str:
    """OIDC Core section 3.1.3.6: left-most half of the SHA-256 hash, base64url (ES256 and RS256 alike)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def issue_id_token(client: Client, sub: str, context: dict[str, Any], access_token: str | None = None) -> str:
    """Sign an ID token for ``client``; ``context`` carries auth_time, acr, amr, sid and nonce."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": current_app.config["ISSUER"],
        "sub": sub,
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": now,
        "exp": now + current_app.config["ID_TOKEN_LIFETIME"],
    }
    claims.update({name: value for name, value in context.items() if value not in (None, "", [])})
    if access_token:
        claims["at_hash"] = half_hash(access_token)
    key = keyring().signing_key(client.id_token_signed_response_alg or None)
    return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": "JWT"}, claims, key.jwk)


def user_claims(user: User, scopes: frozenset[str] | set[str]) -> dict[str, Any]:
    """The claims each granted standard scope releases (only those we hold a value for)."""
    available = _all_claims(user)
    if "address" in scopes:  # decrypted from the vault only when asked for
        from vault.claims import address_claim

        available["address"] = address_claim(user.id)
    released: dict[str, Any] = {}
    for scope, names in SCOPE_CLAIMS.items():
        if scope in scopes:
            released.update({name: available[name] for name in names if available.get(name) is not None})
    return released


def assurance_claims(
    user_id: str,
    scopes: frozenset[str] | set[str],
    requests: dict[str, Any] | None = None,
    target: str = "id_token",
) -> dict[str, Any]:
    """The identity level always; IDA ``verified_claims`` only under the consented scope, only once a
    council officer has checked the person's documents, and, when the relying party sent a ``claims``
    parameter (``requests``), only what it asked for in ``target`` (id_token or userinfo)."""
    from idp.oauth2.claims_request import release
    from idp.officers.identity import identity_level, verified_claims

    claims: dict[str, Any] = {IDENTITY_LEVEL_CLAIM: identity_level(user_id)}
    verified = verified_claims(user_id) if VERIFIED_CLAIMS_SCOPE in scopes else None
    released = release(verified, requests, target) if verified is not None else None
    if released is not None:
        claims["verified_claims"] = released
    return claims


def _all_claims(user: User) -> dict[str, Any]:
    return {
        "name": " ".join(part for part in (user.given_name, user.family_name) if part) or None,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "updated_at": int(user.updated_at.timestamp()) if user.updated_at else None,
        "email": user.email,
        "email_verified": bool(user.email_verified_at) if user.email else None,
        "phone_number": user.phone,
        "phone_number_verified": bool(user.phone_verified_at) if user.phone else None,
    }


def verify_id_token_hint(hint: str, client_id: str) -> dict[str, Any] | None:
    """Claims of an ID token we signed for ``client_id``; an expired one still identifies the person
    (OIDC Core section 3.1.2.1), a forged or foreign one does not."""
    from joserfc.errors import JoseError

    from idp.oauth2.jose import UnacceptableJWT, unverified_header

    try:
        header = unverified_header(hint)
        key = next(key for key in keyring().keys if key.kid == header.get("kid") and key.alg == header["alg"])
        claims = jwt.decode(hint, key.jwk, algorithms=[key.alg]).claims
    except (UnacceptableJWT, StopIteration, JoseError, ValueError, TypeError):
        return None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if claims.get("iss") != current_app.config["ISSUER"] or client_id not in audiences:
        return None
    return claims if isinstance(claims.get("sub"), str) else None
