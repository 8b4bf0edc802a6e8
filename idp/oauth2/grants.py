"""Thin Authlib grants: they parse and check the request; the token service does the work.

Implicit, hybrid and password grants are not registered, so Authlib answers unsupported_response_type
and unsupported_grant_type for them.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import bindparam, select

from idp.accounts.models import User
from idp.extensions import db
from idp.oauth2 import client_credentials, codes, tokens
from idp.prepared import Prepared

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
_users = User.__table__
# Whether the account behind a code may still have tokens; every code redemption asks (idp.prepared).
_ACCOUNT_STATE = Prepared(select(_users.c.disabled_at).where(_users.c.id == bindparam("user_id")))


class AuthorizedUser:
    """What the authorization endpoint hands to Authlib as ``grant_user``: the account and sign-in context."""

    def __init__(self, user: User, context: codes.CodeContext) -> None:
        self.user = user
        self.context = context

    def get_user_id(self) -> str:
        return self.user.id


class S256CodeChallenge(CodeChallenge):
    """RFC 7636 for every client, S256 only (RFC 9700 section 2.1.1). Authlib's own rule only forces
    public clients and defaults a missing method to ``plain``."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """RFC 6749 section 4.1, with codes kept as digests and spent atomically (``idp.oauth2.codes``)."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return codes.new_code()

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        codes.store_code(
            code,
            request.client.client_id,
            request.payload.redirect_uri,
            request.user.context.scope or request.scope or "",
            data.get("code_challenge"),
            request.user.context,
        )

    def query_authorization_code(self, code: str, client: Any) -> Any:
        return codes.redeem_code(code, client.client_id)

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Nothing to do: the code was spent when it was redeemed."""

    def authenticate_user(self, authorization_code: Any) -> str | None:
        """The code's account id while the account is active (its row, read now: one prepared select)."""
        row = _ACCOUNT_STATE.first({"user_id": authorization_code.user_id})
        return authorization_code.user_id if row is not None and row.disabled_at is None else None

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        if self.authenticate_user(self.request.authorization_code) is None:
            raise InvalidGrantError("The account behind this code is no longer active.")
        token = tokens.issue_for_code(self.request.client, self.request.authorization_code)
        return 200, _with_authorization_details(token), self.TOKEN_RESPONSE_HEADER


class RefreshCredential:
    """Authlib's view of a refresh token found by ``tokens.find_refresh_token``."""

    def __init__(self, row: Any, family: tokens.Family) -> None:
        self.row = row
        self.family = family

    def check_client(self, client: Any) -> bool:
        return bool(self.row.client_id == client.client_id)

    def get_scope(self) -> str:
        return self.family.scope


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 section 6 with rotation on every use and family revocation on reuse."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        found = tokens.find_refresh_token(refresh_token)
        return RefreshCredential(*found) if found else None

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        credential: RefreshCredential = self.request.refresh_token
        user = db.session.get(User, credential.family.user_id) if credential.family.user_id else None
        if user is None or not user.is_active:
            raise InvalidGrantError("The account behind this token is no longer active.")
        asked = _scopes(self.request.payload.scope or credential.family.scope)
        scopes = _still_granted(credential.family, self.request.client.client_id, asked)
        try:
            token = tokens.rotate_refresh_token(self.request.client, credential.row, credential.family, scopes)
        except tokens.InvalidGrant as error:
            raise InvalidGrantError(str(error)) from error
        return 200, _with_authorization_details(token), self.TOKEN_RESPONSE_HEADER


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """RFC 6749 section 4.4 for clients that authenticate with an assertion; the rest take the lean path
    in ``idp.oauth2.client_credentials`` (same rules)."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client = self.request.client
        requested = client_credentials.requested_scopes(client, self.request.payload.scope)
        return 200, tokens.issue_for_client(client.client_id, requested), self.TOKEN_RESPONSE_HEADER


def _scopes(scope: str) -> frozenset[str]:
    return frozenset(scope.split())


def _still_granted(family: tokens.Family, client_id: str, asked: frozenset[str]) -> frozenset[str]:
    """A refresh never brings back vault access the citizen has since narrowed, or that has expired."""
    from consent.services import refresh_scopes

    scopes = refresh_scopes(family.user_id, client_id, family.grant_id, asked)
    if not scopes:
        raise InvalidGrantError("The person no longer shares what this token was for.")
    return scopes


def _with_authorization_details(token: dict[str, Any]) -> dict[str, Any]:
    """RFC 9396 section 7: the token response names the authorization details granted, here the vault
    modules and actions of the token's scope as ``logbook_vault`` entries."""
    from consent.authorization_details import granted

    details = granted(token.get("scope", "").split())
    return {**token, "authorization_details": details} if details else token
