"""JWT access tokens, RFC 9068: issued here, verified here for every resource server.

Issuing writes nothing to the database (the hot path): a user token names its token family (`fam`), and
a token is live unless its `jti` is on the revocation deny-list, its family is revoked (a reused code or
refresh token, withdrawn consent) or its client is disabled. Verification is a signature check plus one
indexed query.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import and_, bindparam, exists, insert, select

from clients.models import Client
from consent.authorization_details import granted as granted_details
from idp.database import new_id, utcnow
from idp.extensions import db
from idp.keyring import Keyring, SigningKey
from idp.oauth2.jose import UnacceptableJWT, unverified_header
from idp.oauth2.models import RevokedAccessToken, TokenFamily
from idp.prepared import Prepared

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 section 2.1
LEEWAY_SECONDS = 5
FAMILY_CLAIM = "fam"  # the token family this token belongs to (revoked together)


class InvalidAccessToken(Exception):
    """The bearer token must not be honoured; ``reason`` is for logs and ``error_description``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessTokenClaims:
    user_id: str | None
    sub: str
    client_id: str
    scopes: frozenset[str]
    acr: str | None
    amr: tuple[str, ...]
    auth_time: int | None
    jti: str
    exp: int
    grant_id: str | None
    sid: str | None = None
    family_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_in: int
    claims: dict[str, Any]


# Every worker reads the keys folder again this often, so that after `logbook keys rotate` all of them sign
# with and publish the same keys without a restart; a token naming a key not loaded here yet is verified
# at once (the keys are read again when that key's file exists).
KEYRING_MAX_AGE_SECONDS = 60


def keyring() -> Keyring:
    ring: Keyring = current_app.extensions["logbook_keyring"]
    return ring.reload_if_older_than(KEYRING_MAX_AGE_SECONDS)


def vault_audience() -> str:
    return f"{current_app.config['ISSUER']}/api/v1/vault"


def audiences_for(scopes: frozenset[str] | set[str]) -> list[str]:
    audiences = [current_app.config["ISSUER"]]
    if any(scope.startswith("vault:") for scope in scopes):
        audiences.append(vault_audience())
    return audiences


def issue_access_token(
    client_id: str,
    sub: str,
    scopes: frozenset[str] | set[str] | list[str],
    *,
    user_id: str | None = None,
    auth_time: int | None = None,
    acr: str | None = None,
    amr: list[str] | tuple[str, ...] | None = None,
    sid: str | None = None,
    family_id: str | None = None,
    grant_id: str | None = None,
    lifetime: int | None = None,
    commit: bool = True,
    act: dict[str, Any] | None = None,
) -> IssuedAccessToken:
    """Sign an RFC 9068 access token. A user token without a family gets one of its own (one row), so
    that it can be revoked and resolved to its user; client-credentials tokens write nothing."""
    scope_set = frozenset(scopes)
    now = int(time.time())
    expires_in = lifetime or current_app.config["ACCESS_TOKEN_LIFETIME"]
    jti = new_id()
    claims = _claims(client_id, sub, scope_set, now, now + expires_in, jti)
    if user_id:
        family_id = family_id or _standalone_family(client_id, user_id, scope_set, auth_time, acr, amr, sid, grant_id)
        claims.update(_user_claims(auth_time, acr, amr, sid, grant_id))
        claims.update(_identity_level(user_id))
        claims.update(_authorization_details(scope_set))
    if family_id:
        claims[FAMILY_CLAIM] = family_id
    if act:  # RFC 8693 section 4.1: someone (an officer in an assisted session) acts for the subject
        claims["act"] = act
    token = sign_access_token(keyring().signing_key(), claims)
    if commit:
        db.session.commit()
    return IssuedAccessToken(token, jti, expires_in, claims)


def _authorization_details(scopes: frozenset[str]) -> dict[str, Any]:
    """RFC 9396 section 9.1: a JWT access token carries its authorization details in an
    ``authorization_details`` claim: the vault modules and actions of its scope as ``logbook_vault``
    entries, the same as the token response (section 7) and introspection (section 9.2) give."""
    details = granted_details(scopes)
    return {"authorization_details": details} if details else {}


def sign_access_token(key: SigningKey, claims: dict[str, Any]) -> str:
    """The compact JWS (RFC 7515 section 7.1) of ``claims``, ``typ`` at+jwt. ES256, the default, is signed
    here directly with ``cryptography`` (the same signature joserfc makes, at half its CPU: its encode was
    ~110 µs of a ~650 µs token request); any other algorithm goes through joserfc."""
    private_key = key.jwk.private_key
    if key.alg != "ES256" or not isinstance(private_key, ec.EllipticCurvePrivateKey):
        return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": "at+jwt"}, claims, key.jwk)
    signing_input = _es256_header(key.kid) + b"." + _b64(json.dumps(claims, separators=(",", ":")).encode())
    der = private_key.sign(signing_input, _ECDSA_SHA256)
    r, s = decode_dss_signature(der)  # JWS wants the raw 32-byte r and s (RFC 7518 section 3.4), not DER
    return (signing_input + b"." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))).decode("ascii")


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@functools.lru_cache(maxsize=16)
def _es256_header(kid: str) -> bytes:
    return _b64(json.dumps({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, separators=(",", ":")).encode())


def _standalone_family(
    client_id: str, user_id: str, scopes: frozenset[str], auth_time: Any, acr: Any, amr: Any, sid: Any, grant_id: Any
) -> str:
    family_id = new_id()
    db.session.execute(
        insert(TokenFamily.__table__).values(
            id=family_id,
            client_id=client_id,
            user_id=user_id,
            scope=" ".join(sorted(scopes)),
            auth_time=auth_time,
            acr=acr,
            amr=" ".join(amr or []),
            sid=sid,
            grant_id=grant_id,
            created_at=utcnow(),
        )
    )
    return family_id


def _identity_level(user_id: str) -> dict[str, str]:
    """Issue 5: the identity level is a claim (one indexed read of the latest officer check)."""
    from idp.oauth2.id_tokens import IDENTITY_LEVEL_CLAIM
    from idp.officers.identity import identity_level

    return {IDENTITY_LEVEL_CLAIM: identity_level(user_id)}


def _claims(client_id: str, sub: str, scopes: frozenset[str], now: int, exp: int, jti: str) -> dict[str, Any]:
    return {
        "iss": current_app.config["ISSUER"],
        "sub": sub,
        "aud": audiences_for(scopes),
        "client_id": client_id,
        "scope": " ".join(sorted(scopes)),
        "iat": now,
        "exp": exp,
        "jti": jti,
    }


def _user_claims(
    auth_time: int | None, acr: str | None, amr: Any, sid: str | None, grant_id: str | None
) -> dict[str, Any]:
    claims: dict[str, Any] = {"auth_time": auth_time, "acr": acr, "amr": list(amr or [])}
    if sid:
        claims["sid"] = sid
    if grant_id:
        claims["grant_id"] = grant_id
    return claims


def decode_access_token(token: object, audience: str | None = None) -> dict[str, Any]:
    """Signature, header and claim checks only (no database): the raw claims, or InvalidAccessToken."""
    try:
        header = unverified_header(token)
    except UnacceptableJWT as error:
        raise InvalidAccessToken(str(error)) from error
    if header.get("typ") not in ACCESS_TOKEN_TYPES:
        raise InvalidAccessToken("not an access token (typ)")
    key = _verification_key(header)
    try:
        claims = _verified_claims(str(token), key)
        _claims_registry(audience).validate(claims)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidAccessToken(f"token rejected: {error.__class__.__name__}") from error
    return claims


class _VerifiedSignatures:
    """Tokens whose signature this process has already verified, with their claims, per key id.

    A resource server sees the same bearer token on call after call; checking its ES256 signature and
    parsing it again each time was most of the verification's CPU. A hit needs the exact same token
    bytes and a key of that ``kid`` still in the keyring (a retired key's tokens fail as before);
    expiry, audience and the rest of the claims are checked on every call, and so is revocation (the
    live-state query). Bounded: when full it starts again empty."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.claims: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, token: str, kid: str) -> dict[str, Any] | None:
        found = self.claims.get((token, kid))
        return None if found is None else dict(found)

    def remember(self, token: str, kid: str, claims: dict[str, Any]) -> None:
        if len(self.claims) >= self.limit:
            self.claims.clear()
        self.claims[(token, kid)] = dict(claims)


_VERIFIED = _VerifiedSignatures()


def _verified_claims(token: str, key: Any) -> dict[str, Any]:
    claims = _VERIFIED.get(token, key.kid)
    if claims is None:
        claims = jwt.decode(token, key.jwk, algorithms=[key.alg]).claims
        _VERIFIED.remember(token, key.kid, claims)
    return claims


def _verification_key(header: dict[str, Any]) -> Any:
    key = _key_named(keyring(), header.get("kid"))
    if key is None:  # perhaps rotated in by another process since this one last read the keys
        key = _key_named(keyring().reload_if_new(header.get("kid")), header.get("kid"))
    if key is None:
        raise InvalidAccessToken("unknown signing key")
    if key.alg != header["alg"]:
        raise InvalidAccessToken("algorithm does not match the key")
    return key


def _key_named(ring: Keyring, kid: object) -> Any:
    return next((key for key in ring.keys if key.kid == kid), None)


def _claims_registry(audience: str | None) -> JWTClaimsRegistry:
    return _registry_for(current_app.config["ISSUER"], audience)


@functools.lru_cache(maxsize=64)
def _registry_for(issuer: str, audience: str | None) -> JWTClaimsRegistry:
    """Built once per (issuer, audience) per process: the registry is read-only once made."""
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "jti": {"essential": True},
        "sub": {"essential": True},
        "client_id": {"essential": True},
    }
    if audience is not None:
        options["aud"] = {"essential": True, "value": audience}
    return JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options)


def verify_access_token(token: object, audience: str) -> AccessTokenClaims:
    """Everything a resource server must check before honouring a bearer token (RFC 9068 section 4)."""
    claims = decode_access_token(token, audience)
    state = live_state(claims)
    if state is None:
        raise InvalidAccessToken("token revoked or unknown")
    return _to_claims(claims, state.user_id, state.family_id)


def _live_state_statement() -> Any:
    clients, families, revoked = Client.__table__, TokenFamily.__table__, RevokedAccessToken.__table__
    on_family = and_(families.c.id == bindparam("family_id"), families.c.client_id == clients.c.client_id)
    return (
        select(
            clients.c.disabled_at,
            families.c.id.label("family_id"),
            families.c.user_id,
            families.c.revoked_at,
            exists().where(revoked.c.jti == bindparam("jti")).label("jti_revoked"),
        )
        .select_from(clients.outerjoin(families, on_family))
        .where(clients.c.client_id == bindparam("client_id"))
    )


# Built and prepared once (idp.prepared): every resource-server call and introspection runs it, and
# building a select, or SQLAlchemy's per-execution work, costs more than running it on SQLite.
_LIVE_STATE = Prepared(_live_state_statement())


def live_state(claims: dict[str, Any]) -> Any:
    """One query: the client is registered and enabled, the `jti` is not revoked, and the family (if any)
    exists and is not revoked. Returns the row (``user_id``, ``family_id``) or None."""
    jti, client_id, family_id = claims.get("jti"), claims.get("client_id"), claims.get(FAMILY_CLAIM)
    if not isinstance(jti, str) or not isinstance(client_id, str) or not isinstance(family_id, str | None):
        return None
    params = {"jti": jti, "client_id": client_id, "family_id": family_id}
    row = _LIVE_STATE.first(params)
    if row is None or row.disabled_at is not None or row.jti_revoked:
        return None
    if family_id is not None and (row.family_id is None or row.revoked_at is not None):
        return None
    return row


def _to_claims(claims: dict[str, Any], user_id: str | None, family_id: str | None) -> AccessTokenClaims:
    scope = claims.get("scope")
    amr = claims.get("amr")
    auth_time = claims.get("auth_time")
    return AccessTokenClaims(
        user_id=user_id,
        sub=str(claims["sub"]),
        client_id=str(claims["client_id"]),
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        acr=claims.get("acr") if isinstance(claims.get("acr"), str) else None,
        amr=tuple(a for a in amr if isinstance(a, str)) if isinstance(amr, list) else (),
        auth_time=auth_time if isinstance(auth_time, int) else None,
        jti=str(claims["jti"]),
        exp=int(claims["exp"]),
        grant_id=claims.get("grant_id") if isinstance(claims.get("grant_id"), str) else None,
        sid=claims.get("sid") if isinstance(claims.get("sid"), str) else None,
        family_id=family_id,
        raw=claims,
    )
