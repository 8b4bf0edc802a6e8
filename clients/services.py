"""The client registry: register, rotate secrets, verify secrets, disable.

Secrets are 256-bit random values shown once; only their HMAC digests are kept (see ``models``).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import has_request_context, request
from sqlalchemy import bindparam, select

from clients.models import ORGANISATION_TYPES, Client, Organisation, secret_digest
from idp.database import utcnow
from idp.errors import DomainError, NotFound
from idp.extensions import db
from idp.prepared import Prepared

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
ID_TOKEN_ALGS = ("ES256", "RS256")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
DEFAULT_ROTATION_OVERLAP = timedelta(days=7)


class InvalidClientMetadata(DomainError):
    """RFC 7591 section 3.2.2: the value of one of the client metadata fields is invalid."""

    code = "invalid_client_metadata"


class InvalidRedirectURI(InvalidClientMetadata):
    code = "invalid_redirect_uri"


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    """24 URL-safe characters (144 random bits) starting with a letter or digit: an id that began with "-"
    would be read as an option by `logbook clients show|rotate-secret|disable` and most other tools."""
    return secrets.choice(string.ascii_letters + string.digits) + secrets.token_urlsafe(18)[1:]


def validate_redirect_uri(uri: str) -> str:
    """https only (http allowed on loopback for native and development clients), no fragment, no wildcard,
    no spaces, no user name or password (RFC 9700 section 2.1: exact matching of a plain URL)."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError as error:
        raise InvalidRedirectURI(f"{uri!r} is not a valid URL") from error
    if "*" in uri or parts.fragment or "#" in uri:
        raise InvalidRedirectURI(f"{uri!r}: redirect URIs may not contain wildcards or fragments")
    if any(ch.isspace() for ch in uri):
        raise InvalidRedirectURI(f"{uri!r} may not contain spaces")
    if not host:
        raise InvalidRedirectURI(f"{uri!r} must be an absolute URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidRedirectURI(f"{uri!r} may not contain a user name or password")
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return uri
    raise InvalidRedirectURI(f"{uri!r} must use https (http only on a loopback address)")


def create_organisation(name: str, type: str) -> Organisation:
    if type not in ORGANISATION_TYPES:
        raise InvalidClientMetadata(f"organisation type must be one of {', '.join(ORGANISATION_TYPES)}")
    organisation = Organisation(name=name.strip(), type=type)
    db.session.add(organisation)
    db.session.commit()
    return organisation


def _check_choices(values: list[str], allowed: tuple[str, ...], field: str) -> list[str]:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise InvalidClientMetadata(f"{field}: {', '.join(unknown)} not supported")
    return list(dict.fromkeys(values))


def create_client(
    name: str,
    organisation: Organisation,
    redirect_uris: list[str] | tuple[str, ...] = (),
    scope: str = "openid",
    grant_types: list[str] | tuple[str, ...] = ("authorization_code", "refresh_token"),
    token_endpoint_auth_method: str = "client_secret_basic",
    **metadata: Any,
) -> tuple[Client, str | None]:
    """Register a client. Returns it with its secret in clear: the only time the secret exists outside."""
    grants = _check_choices(list(grant_types), GRANT_TYPES, "grant_types")
    _check_choices([token_endpoint_auth_method], AUTH_METHODS, "token_endpoint_auth_method")
    uris = [validate_redirect_uri(uri) for uri in redirect_uris]
    if "authorization_code" in grants and not uris:
        raise InvalidRedirectURI("the authorization code grant needs at least one redirect URI")
    metadata["post_logout_redirect_uris"] = [
        validate_redirect_uri(uri) for uri in metadata.get("post_logout_redirect_uris") or []
    ]
    _check_metadata(token_endpoint_auth_method, metadata)
    secret = None if token_endpoint_auth_method == "private_key_jwt" else new_client_secret()
    client = Client(
        client_id=metadata.pop("client_id", None) or new_client_id(),
        name=name.strip(),
        organisation=organisation,
        redirect_uris=uris,
        scope=" ".join(dict.fromkeys(scope.split())),
        grant_types=grants,
        response_types=["code"] if "authorization_code" in grants else [],
        token_endpoint_auth_method=token_endpoint_auth_method,
        secret_digest=secret_digest(secret) if secret else None,
        first_party=metadata.pop("first_party", organisation.is_council),
        **metadata,
    )
    db.session.add(client)
    db.session.commit()
    return client, secret


def _check_metadata(auth_method: str, metadata: dict[str, Any]) -> None:
    if auth_method == "private_key_jwt" and not (metadata.get("jwks") or {}).get("keys"):
        raise InvalidClientMetadata("private_key_jwt needs the client's public keys (jwks)")
    alg = metadata.get("id_token_signed_response_alg", "ES256")
    if alg not in ID_TOKEN_ALGS:
        raise InvalidClientMetadata(f"id_token_signed_response_alg must be one of {', '.join(ID_TOKEN_ALGS)}")


def public_jwks(document: Any) -> dict[str, Any]:
    """A registered JWKS (RFC 7517) for private_key_jwt: a ``keys`` list of public keys only."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list) or not document["keys"]:
        raise InvalidClientMetadata("jwks must be a JSON object with a non-empty 'keys' list")
    if any(not isinstance(key, dict) or "d" in key for key in document["keys"]):
        raise InvalidClientMetadata("jwks holds a private key: register public keys only")
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidClientMetadata(f"jwks: a key could not be read ({error})") from error
    return document


def get_client(client_id: str) -> Client:
    client = find_client(client_id)
    if client is None:
        raise NotFound(f"No client {client_id!r}")
    return client


def find_client(client_id: str) -> Client | None:
    # A NUL names no client, and PostgreSQL refuses it in a text parameter (a DataError, so a 500).
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64 or "\x00" in client_id:
        return None
    return db.session.scalar(select(Client).where(Client.client_id == client_id))


@dataclass(frozen=True)
class OrganisationRef:
    id: str
    name: str


@dataclass(frozen=True)
class ApiClient:
    """What a resource-server call needs of the calling client: read fresh once per request, never cached
    across requests, so a disabled client or changed policy bites on the next call."""

    client_id: str
    organisation: OrganisationRef
    min_acr: str | None
    max_auth_age: int | None
    disabled_at: Any


_API_CLIENT = (
    select(
        Client.__table__.c.client_id,
        Client.__table__.c.min_acr,
        Client.__table__.c.max_auth_age,
        Client.__table__.c.disabled_at,
        Organisation.__table__.c.id.label("organisation_id"),
        Organisation.__table__.c.name.label("organisation_name"),
    )
    .select_from(Client.__table__.join(Organisation.__table__))
    .where(Client.__table__.c.client_id == bindparam("client_id"))
)


_API_CLIENT_PREPARED = Prepared(_API_CLIENT)  # every vault API call runs it (see idp.prepared)


def request_client(client_id: str) -> ApiClient | None:
    """The client for this request: one Core select, memoised on the request (not on ``g``, which a
    test or CLI app context may share across requests), so the policy and the access log share it."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
        return None
    memo = request.environ.setdefault("logbook.api_clients", {}) if has_request_context() else {}
    if client_id not in memo:
        memo[client_id] = _load_api_client(client_id)
    return memo[client_id]


def _load_api_client(client_id: str) -> ApiClient | None:
    row = _API_CLIENT_PREPARED.first({"client_id": client_id})
    if row is None:
        return None
    organisation = OrganisationRef(row.organisation_id, row.organisation_name)
    return ApiClient(row.client_id, organisation, row.min_acr, row.max_auth_age, row.disabled_at)


def list_clients() -> list[Client]:
    return list(db.session.scalars(select(Client).order_by(Client.created_at)))


def rotate_secret(client: Client, overlap: timedelta = DEFAULT_ROTATION_OVERLAP) -> str:
    """A new secret; the old one keeps working for ``overlap`` so the relying party can redeploy."""
    if client.token_endpoint_auth_method == "private_key_jwt":
        raise InvalidClientMetadata("this client authenticates with private_key_jwt and has no secret")
    secret = new_client_secret()
    client.previous_secret_digest = client.secret_digest if overlap > timedelta(0) else None
    client.previous_secret_expires_at = utcnow() + overlap if overlap > timedelta(0) else None
    client.secret_digest = secret_digest(secret)
    db.session.commit()
    return secret


def verify_client_secret(client_id: str, secret: str) -> Client | None:
    client = find_client(client_id)
    return client if client is not None and client.verify_secret(secret) else None


def disable_client(client: Client) -> Client:
    """Refuse the client everywhere from now on and revoke every token it holds."""
    client.disabled_at = client.disabled_at or utcnow()
    db.session.commit()
    from idp.oauth2.tokens import revoke_client_tokens

    revoke_client_tokens(client.client_id)
    return client


def find_or_create_organisation(name: str, type: str | None) -> Organisation:
    """The organisation of that name; created when a type is given and none exists."""
    found = db.session.scalar(select(Organisation).where(Organisation.name == name.strip()))
    if found is not None:
        return found
    if type is None:
        raise InvalidClientMetadata(f"No organisation called {name!r}: give --organisation-type to create it")
    return create_organisation(name, type)
