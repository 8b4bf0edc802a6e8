"""The vault API (``/api/v1/vault``): a resource server for the provider's access tokens.

Every call verifies the bearer token for the vault audience, then asks ``vault.policy.authorize``.
The citizen is always the token's user: no path or parameter names a user, and every query filters
on the token's user id, so one citizen's token can never reach another's records. Errors follow
RFC 6750 with ``WWW-Authenticate``; every response carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from clients.step_up import bearer_challenge
from idp.extensions import csrf
from vault import catalogue, services
from vault.catalogue import RecordInvalid
from vault.openapi import openapi_document
from vault.policy import Action, authorize, readable_modules
from vault.services import Provenance

bp = Blueprint("vault_api", __name__, url_prefix="/api/v1/vault")
csrf.exempt(bp)  # bearer tokens, never cookies: there is no cross-site request to forge
REALM = "logbook-vault"


@bp.record_once
def _load_catalogue(state: Any) -> None:
    """The catalogue (nine JSON schemas, each checked) takes ~150 ms of CPU to load: load it when a worker builds
    the app, not in its first API call, which would keep every other connection of that worker waiting."""
    catalogue.modules()


class BearerError(Exception):
    """An RFC 6750 section 3.1 error: ``invalid_request`` 400, ``invalid_token`` 401,
    ``insufficient_scope`` 403; or RFC 9470's ``insufficient_user_authentication`` 401."""

    STATUS = {"invalid_request": 400, "invalid_token": 401, "insufficient_scope": 403}

    def __init__(
        self,
        error: str | None,
        description: str = "",
        scope: str | None = None,
        acr_values: str | None = None,
        max_age: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error, self.description, self.scope = error, description, scope
        self.acr_values, self.max_age = acr_values, max_age

    @property
    def status(self) -> int:
        return self.STATUS.get(self.error or "", 401)

    def challenge(self) -> str:
        params = {"scope": self.scope, "acr_values": self.acr_values, "max_age": self.max_age}
        return bearer_challenge(self.error, self.description, realm=REALM, **params)


@bp.errorhandler(BearerError)
def _bearer_error(error: BearerError) -> Response:
    body: dict[str, Any] = {
        "error": error.error or "invalid_token",
        "error_description": error.description or "a token is required",
    }
    step_up = {"acr_values": error.acr_values, "max_age": error.max_age}
    body.update({name: value for name, value in step_up.items() if value})
    response = jsonify(body)
    response.status_code = error.status
    response.headers["WWW-Authenticate"] = error.challenge()
    return response


@bp.errorhandler(RecordInvalid)
def _record_invalid(error: RecordInvalid) -> tuple[Response, int]:
    return jsonify(error="invalid_record", error_description=error.message, errors=error.errors), 422


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # RFC 6750 section 3.1: a request with no authentication information gets no error code.
        raise BearerError(None)
    return token.strip()


def _claims() -> Any:
    from idp.oauth2.access_tokens import InvalidAccessToken, verify_access_token

    try:
        return verify_access_token(_bearer(), audience=f"{current_app.config['ISSUER']}/api/v1/vault")
    except InvalidAccessToken as error:
        raise BearerError("invalid_token", "the access token is invalid, expired or revoked") from error


def _authorized(module: str, action: Action) -> Any:
    """The verified claims, once the policy allows ``action`` on ``module``."""
    catalogue.get(module)  # an unknown module is a 404 whatever the token
    claims = _claims()
    decision = authorize(claims, module, action)
    if not decision.allowed:
        raise BearerError(decision.error, decision.description, decision.scope, decision.acr_values, decision.max_age)
    g.vault_claims = claims
    return claims


def _record_json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BearerError("invalid_request", "the body must be a JSON object (a record)")
    return data


def _client(claims: Any) -> Any:
    from clients.services import request_client

    client = request_client(claims.client_id)
    if client is None:
        raise BearerError("invalid_token", "the client this token was issued to is no longer registered")
    return client


def _attestation(claims: Any) -> Provenance:
    return Provenance.attested(claims.client_id, _client(claims).organisation.name)


def _log(claims: Any, module: str, action: Action) -> None:
    """Every read or write by a client goes into the citizen's hash-chained access log (consent owns it)."""
    from consent.services import log_access

    log_access(claims.user_id, _client(claims), module, action, grant_id=claims.grant_id)


def _expected_version() -> int | None:
    tag = (request.headers.get("If-Match") or "").strip().strip('"')
    if not tag:
        return None
    if not tag.startswith("v") or not tag[1:].isdigit():
        raise BearerError("invalid_request", 'If-Match must be an ETag from this API, like "v3"')
    return int(tag[1:])


def _record_response(record: services.RecordView, status: int = 200) -> Response:
    response = jsonify(record.as_json())
    response.status_code = status
    response.headers["ETag"] = f'"v{record.version}"'
    return response


@bp.get("/modules")
def list_modules() -> Response:
    claims = _claims()
    modules = [catalogue.get(name) for name in readable_modules(claims)]
    return jsonify(modules=[_module_json(module) for module in modules])


def _module_json(module: catalogue.Module) -> dict[str, Any]:
    return {
        "name": module.name,
        "title": module.title,
        "description": module.description,
        "schema": module.schema_id,
        "records": url_for("vault_api.list_records", module=module.name, _external=False),
    }


@bp.get("/modules/<module>/records")
def list_records(module: str) -> Response:
    claims = _authorized(module, "read")
    body = services.list_records_json(claims.user_id, module)
    _log(claims, module, "read")
    return Response(body, mimetype="application/json")


@bp.get("/modules/<module>/records/<record_id>")
def get_record(module: str, record_id: str) -> Response:
    claims = _authorized(module, "read")
    record = services.get_record(claims.user_id, module, record_id)
    _log(claims, module, "read")
    return _record_response(record)


@bp.post("/modules/<module>/records")
def create_record(module: str) -> Response:
    claims = _authorized(module, "write")
    record = services.create_record(claims.user_id, module, _record_json(), _attestation(claims))
    _log(claims, module, "write")
    response = _record_response(record, 201)
    response.headers["Location"] = url_for("vault_api.get_record", module=module, record_id=record.id)
    return response


@bp.put("/modules/<module>/records/<record_id>")
def update_record(module: str, record_id: str) -> Response:
    claims = _authorized(module, "write")
    data, expected = _record_json(), _expected_version()
    record = services.update_record(claims.user_id, module, record_id, data, _attestation(claims), expected)
    _log(claims, module, "write")
    return _record_response(record)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The API's description; public, like discovery."""
    return jsonify(openapi_document(current_app.config["ISSUER"]))
