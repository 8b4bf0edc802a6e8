"""``/api/v1/access-requests``: organisations ask for a citizen's modules and poll for the answer.

Callers hold a client-credentials access token with the ``access_requests`` scope (guard
``bearer_token``: every view checks the token itself).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from consent import access_requests
from consent.models import AccessRequest
from idp.errors import DomainError, Forbidden
from idp.extensions import csrf

ACCESS_REQUEST_SCOPE = "access_requests"

bp = Blueprint("consent_api", __name__, url_prefix="/api/v1/access-requests")
csrf.exempt(bp)  # bearer-token API: no cookies, so no cross-site request forgery


class InvalidToken(DomainError):
    status_code = 401
    code = "invalid_token"


def _bearer_client() -> Any:
    """The client behind a valid client-credentials token with the access_requests scope."""
    from clients.services import find_client
    from idp.oauth2.access_tokens import InvalidAccessToken, verify_access_token

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("Send a client-credentials access token as 'Authorization: Bearer <token>'.")
    try:
        claims = verify_access_token(token.strip(), current_app.config["ISSUER"])
    except InvalidAccessToken as error:
        raise InvalidToken(f"The access token was not accepted: {error.reason}.") from error
    if claims.user_id is not None or ACCESS_REQUEST_SCOPE not in claims.scopes:
        raise Forbidden(f"Use a client-credentials token with the {ACCESS_REQUEST_SCOPE!r} scope.")
    client = find_client(claims.client_id)
    if client is None or not client.is_active:
        raise InvalidToken("The client is unknown or disabled.")
    return client


@bp.errorhandler(InvalidToken)
def invalid_token(error: InvalidToken) -> tuple[Response, int]:
    response = jsonify(error=error.code, error_description=error.message)
    response.headers["WWW-Authenticate"] = f'Bearer error="invalid_token", scope="{ACCESS_REQUEST_SCOPE}"'
    response.headers["Cache-Control"] = "no-store"
    return response, 401


def _as_json(access_request: AccessRequest) -> dict[str, Any]:
    return {
        "id": access_request.id,
        "status": access_request.status,
        "modules": access_request.modules,
        "purpose": access_request.purpose,
        "duration_days": access_request.duration_days,
        "created_at": access_request.created_at.isoformat(),
        "expires_at": access_request.expires_at.isoformat(),
        "decided_at": access_request.decided_at.isoformat() if access_request.decided_at else None,
        "grant_id": access_request.grant_id,
        "status_url": url_for("consent_api.status", request_id=access_request.id, _external=True),
    }


@bp.post("")
def create() -> tuple[Response, int]:
    client = _bearer_client()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise access_requests.InvalidAccessRequest("Send a JSON object (Content-Type: application/json).")
    created = access_requests.create_access_request(client, body)
    response = jsonify(_as_json(created))
    response.headers["Location"] = url_for("consent_api.status", request_id=created.id)
    return response, 201


@bp.get("/<request_id>")
def status(request_id: str) -> Response:
    client = _bearer_client()
    response = jsonify(_as_json(access_requests.status_for_client(client.client_id, request_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
