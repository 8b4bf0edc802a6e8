"""The one place Authlib's Flask integration is wired: server, grants, client authentication methods,
revocation (RFC 7009), introspection (RFC 7662) and the issuer parameter (RFC 9207)."""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidClientError, OAuth2Request
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, current_app, has_app_context, url_for
from flask import request as flask_request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import bindparam, event, select

from clients.models import Client
from clients.services import find_client
from idp.extensions import db
from idp.oauth2 import assertions, introspection
from idp.oauth2.grants import (
    AUTH_METHODS,
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
    S256CodeChallenge,
)
from idp.oauth2.jose import ASYMMETRIC_ALGS, UnacceptableJWT, unverified_header

SUPPORTED_SCOPES_EXTRA = ("openid", "profile", "email", "phone", "address")


CLIENT_CACHE_SECONDS = 30
CLIENT_CACHE_KEY = "logbook_oauth2_clients"


# Endpoints where the client is only authenticated and read (never shown on a page nor linked to rows).
CACHED_ENDPOINTS = frozenset({"oauth2.token", "oauth2.revoke", "oauth2.introspect"})


# Who may act as the client: read again on every cached use, so that a client disabled, or a secret or key
# replaced, by another worker, host or the CLI is refused at once and not up to CLIENT_CACHE_SECONDS later.
# Table columns (a Core select), not ORM attributes: the check runs on every cached use.
_clients = Client.__table__
CREDENTIAL_COLUMNS = (
    _clients.c.disabled_at,
    _clients.c.secret_digest,
    _clients.c.previous_secret_digest,
    _clients.c.previous_secret_expires_at,
    _clients.c.jwks,
)
_CREDENTIALS = select(*CREDENTIAL_COLUMNS).where(_clients.c.client_id == bindparam("client_id"))


def query_client(client_id: Any) -> Client | None:
    """The active client. On the token, revocation and introspection endpoints it comes from a short
    per-process cache (the ORM lookup is most of a token request's cost): any change to a client in this
    process evicts it at once; whether it is enabled and its secrets and keys are checked against the
    database on every use (one small query); other metadata (redirect URIs, scopes, policy) changed by
    another process is seen within ``CLIENT_CACHE_SECONDS``."""
    if not isinstance(client_id, str):
        return None
    if flask_request.endpoint not in CACHED_ENDPOINTS:
        client = _found_in_this_request(client_id)
        return client if client is not None and client.is_active else None
    cache: dict[str, tuple[float, Client]] = current_app.extensions.setdefault(CLIENT_CACHE_KEY, {})
    hit = cache.get(client_id)
    if hit is not None and time.monotonic() - hit[0] < CLIENT_CACHE_SECONDS and _credentials_unchanged(hit[1]):
        return hit[1] if hit[1].is_active else None
    client = find_client(client_id)
    if client is None:
        return None
    # A read-only snapshot, out of the session so that its commits never expire it.
    db.session.expunge(client.organisation)
    db.session.expunge(client)
    cache[client_id] = (time.monotonic(), client)
    return client if client.is_active else None


def _found_in_this_request(client_id: str) -> Client | None:
    """Authlib looks the client up twice per authorization request (validating, then answering): once
    from the database is enough."""
    memo: dict[str, Client | None] = flask_request.environ.setdefault("logbook.oauth2_client", {})
    if client_id not in memo:
        memo[client_id] = find_client(client_id)
    return memo[client_id]


def _credentials_unchanged(cached: Client) -> bool:
    row = db.session.execute(_CREDENTIALS, {"client_id": cached.client_id}).first()
    return row is not None and tuple(row) == tuple(getattr(cached, column.key) for column in CREDENTIAL_COLUMNS)


@event.listens_for(Client, "after_update")
@event.listens_for(Client, "after_delete")
def _evict_client(mapper: Any, connection: Any, target: Client) -> None:
    if has_app_context():
        current_app.extensions.get(CLIENT_CACHE_KEY, {}).pop(target.client_id, None)


class LogbookRequest(FlaskOAuth2Request):
    """Authlib's Flask request without its transport check: TLS is the deployment's job (the issuer
    must be https in production, see ``idp.config``), and a proxy may terminate it before us."""

    def __init__(self, request: Any) -> None:  # noqa: D107 - deliberately skips OAuth2Request.__init__
        self.method = request.method
        self.uri = request.url
        self.headers = request.headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


class LogbookAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else LogbookRequest(flask_request)

    def validate_requested_scope(self, scope: str | None) -> None:
        """Unknown scopes are dropped by the client's allowed list rather than refused (RFC 6749 section 3.3)."""


class Issuer(IssuerParameter):
    def get_issuer(self) -> str:
        return str(current_app.config["ISSUER"])


class PrivateKeyJWT(JWTBearerClientAssertion):
    """RFC 7523 client authentication with the client's registered public keys; each jti once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self) -> None:
        super().__init__(validate_jti=True, leeway=assertions.LEEWAY)

    def get_audiences(self) -> list[str]:
        issuer = current_app.config["ISSUER"]
        endpoints = ("oauth2.token", "oauth2.revoke", "oauth2.introspect")
        return [issuer, *(issuer + url_for(endpoint) for endpoint in endpoints)]

    def extract_assertion(self, assertion: str) -> Any:
        try:
            unverified_header(assertion)
        except UnacceptableJWT as error:
            raise InvalidClientError(description=f"client_assertion refused: {error}") from error
        return super().extract_assertion(assertion)

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=sorted(ASYMMETRIC_ALGS))
        except (JoseError, ValueError) as error:
            raise InvalidClientError(description="client_assertion signature is not valid") from error
        self.verify_claims(token.claims)
        return token.claims

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if not client.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]

    def verify_claims(self, claims: Any) -> None:
        assertions.check_lifetime(claims)  # before Authlib's checks, which spend the jti
        super().verify_claims(claims)

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        if not isinstance(jti, str) or len(jti) > 255:
            return False
        return assertions.spend_jti(str(claims["sub"]), jti, claims.get("exp"))


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return introspection.find_token(token_string, token_type_hint)

    def revoke_token(self, token: Any, request: Any) -> None:
        introspection.revoke(token)


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def authenticate_token(self, request: Any, client: Any) -> Any:
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is not None and self.check_permission(token, client, request):
            return token
        return None

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return introspection.find_token(token_string, token_type_hint)

    def check_permission(self, token: Any, client: Any, request: Any) -> bool:
        return introspection.may_introspect(client, token)

    def introspect_token(self, token: Any) -> dict[str, Any]:
        return introspection.describe(token)


def create_server(app: Flask) -> LogbookAuthorizationServer:
    server = LogbookAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=lambda token, request: None)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_extension(Issuer())
    app.extensions["logbook_oauth2"] = server
    return server


def authorization_server() -> LogbookAuthorizationServer:
    return current_app.extensions["logbook_oauth2"]  # type: ignore[no-any-return]
