"""Client authentication with a shared secret (RFC 6749 section 2.3.1) for the hot endpoints: token issue
for client credentials and introspection. One Core select per request and a constant-time digest check,
instead of Authlib's request objects and the ORM client (most of a token request's cost, see
docs/benchmarks.md).

It answers as Authlib's own methods do (``authlib.oauth2.rfc6749.authenticate_client``), so the endpoint
behaves the same whichever path serves it: credentials in the Authorization header for a client that is
unknown or disabled get a 401 with a Basic challenge, in the form body a 400; no method working is a 401.
Requests with a client assertion (``private_key_jwt``) stay on Authlib's path (``uses_assertion``).

The snapshot is read fresh on every request (no cache): a client disabled, or a secret rotated, by
another worker, host or the CLI is refused at once, and a cache would need that same query to know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from sqlalchemy import bindparam, select

from clients.models import Client, secret_matches
from clients.services import AUTH_METHODS
from idp.prepared import Prepared

MAX_CLIENT_ID_LENGTH = 64
NO_METHOD_WORKED = f"The client cannot authenticate with methods: {list(AUTH_METHODS)}"

_clients = Client.__table__
# Built and prepared once (idp.prepared): SQLAlchemy's per-execution work cost more than SQLite's lookup.
_SNAPSHOT = Prepared(
    select(
        _clients.c.client_id,
        _clients.c.token_endpoint_auth_method,
        _clients.c.scope,
        _clients.c.grant_types,
        _clients.c.secret_digest,
        _clients.c.previous_secret_digest,
        _clients.c.previous_secret_expires_at,
        _clients.c.disabled_at,
    ).where(_clients.c.client_id == bindparam("client_id"))
)


@dataclass(frozen=True)
class ClientSnapshot:
    """What these endpoints need of an enabled client, read in one statement."""

    client_id: str
    auth_method: str
    scopes: frozenset[str]
    grant_types: tuple[str, ...]
    secret_digest: str | None
    previous_secret_digest: str | None
    previous_secret_expires_at: datetime | None

    def verify_secret(self, secret: object) -> bool:
        return secret_matches(secret, self.secret_digest, self.previous_secret_digest, self.previous_secret_expires_at)

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def load_client(client_id: object) -> ClientSnapshot | None:
    """The enabled client of that id, or None."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        return None
    row = _SNAPSHOT.first({"client_id": client_id})
    if row is None or row.disabled_at is not None:
        return None
    return ClientSnapshot(
        client_id=row.client_id,
        auth_method=row.token_endpoint_auth_method,
        scopes=frozenset((row.scope or "").split()),
        grant_types=tuple(row.grant_types or ()),
        secret_digest=row.secret_digest,
        previous_secret_digest=row.previous_secret_digest,
        previous_secret_expires_at=row.previous_secret_expires_at,
    )


def uses_assertion(form: Any) -> bool:
    """RFC 7523 client authentication is Authlib's to check (signature, audience, single-use jti)."""
    return "client_assertion" in form or "client_assertion_type" in form


def authenticate(headers: Any, form: Any) -> ClientSnapshot:
    """The client that sent these credentials with its registered method, or ``InvalidClientError``."""
    client_id, secret = extract_basic_authorization(headers)
    if client_id and secret:
        client = _registered(client_id, status_code=401)
        if client.auth_method == "client_secret_basic" and client.verify_secret(secret):
            return client
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if client_id and secret:
        client = _registered(client_id, status_code=400)
        if client.auth_method == "client_secret_post" and client.verify_secret(secret):
            return client
    raise InvalidClientError(status_code=401, description=NO_METHOD_WORKED)


def _registered(client_id: str, status_code: int) -> ClientSnapshot:
    client = load_client(client_id)
    if client is None:
        raise InvalidClientError(status_code=status_code, description="The client does not exist on this server.")
    return client
