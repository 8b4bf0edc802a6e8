"""The client credentials grant (RFC 6749 section 4.4), the token endpoint's busiest request, answered
without Authlib's grant machinery: authenticate (``client_auth``), check the grant type and scope, sign.

Anything unusual (a client assertion, parameters in the query string, another grant type) goes to
Authlib's path, which answers with the same rules: ``grants.ClientCredentialsGrant`` uses
``requested_scopes`` from here.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidScopeError, UnauthorizedClientError
from flask import Request

from idp.oauth2 import client_auth, tokens

GRANT_TYPE = "client_credentials"


def handles(request: Request) -> bool:
    return not request.args and handles_form(request.form)


def handles_form(form: Any) -> bool:
    """A client-credentials request with a shared secret (no query string: the caller checks that)."""
    return form.get("grant_type") == GRANT_TYPE and not client_auth.uses_assertion(form)


def requested_scopes(client: Any, scope: str | None) -> frozenset[str]:
    """Only scopes registered for the client, never ``openid`` (no user); none asked means all of them."""
    requested = frozenset((scope or "").split()) or client.scopes - {"openid"}
    if not requested <= client.scopes or "openid" in requested:
        raise InvalidScopeError("The client may not request that scope.")
    return requested


def token_response(request: Request) -> dict[str, Any]:
    return issue(request.headers, request.form)


def issue(headers: Any, form: Any) -> dict[str, Any]:
    """The token response body, or an ``OAuth2Error`` as Authlib would raise it. ``headers`` and ``form``:
    anything with ``get`` (the Flask view's request, or ``idp.oauth2.fast_path``'s parsed request)."""
    client = client_auth.authenticate(headers, form)
    if not client.check_grant_type(GRANT_TYPE):
        raise UnauthorizedClientError(f"The client is not authorized to use 'grant_type={GRANT_TYPE}'")
    return tokens.issue_for_client(client.client_id, requested_scopes(client, form.get("scope")))
