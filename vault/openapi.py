"""The OpenAPI 3.1 description of the vault API, built from the catalogue so it stays in step with the
module schemas; a test checks that its paths and the blueprint's routes are the same set."""

from __future__ import annotations

from functools import cache
from typing import Any

from vault import catalogue

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: str) -> dict[str, Any]:
    texts = {
        "400": "Malformed request (invalid_request)",
        "401": "Missing, invalid, expired or revoked token (invalid_token); see WWW-Authenticate",
        "403": "The token lacks the scope vault:<module>:<action> (insufficient_scope); see WWW-Authenticate",
        "404": "No such module, or no such record for this citizen",
        "409": "If-Match does not name the current version",
        "422": "The record does not match the module's schema; `errors` names each failing field",
    }
    return {status: _json_body(_ref("Error"), texts[status]) for status in statuses}


MODULE = {"name": "module", "in": "path", "required": True, "schema": {"enum": list(catalogue.MODULE_NAMES)}}
RECORD_ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
RECORD_BODY = {
    "required": True,
    "content": {JSON: {"schema": {"oneOf": [_ref(f"module.{name}") for name in catalogue.MODULE_NAMES]}}},
}


def _paths() -> dict[str, Any]:
    read, write = [{"bearer": ["vault:{module}:read"]}], [{"bearer": ["vault:{module}:write"]}]
    return {
        "/api/v1/vault/modules": {
            "get": {
                "summary": "The modules this token may read",
                "operationId": "listModules",
                "responses": {"200": _json_body(_ref("ModuleList"), "Modules"), **_errors("401")},
            }
        },
        "/api/v1/vault/modules/{module}/records": {
            "parameters": [MODULE],
            "get": {
                "summary": "The current version of every record in a module",
                "operationId": "listRecords",
                "security": read,
                "responses": {"200": _json_body(_ref("RecordList"), "Records"), **_errors("401", "403", "404")},
            },
            "post": {
                "summary": "Create a record, attested by the calling client",
                "operationId": "createRecord",
                "security": write,
                "requestBody": RECORD_BODY,
                "responses": {
                    "201": _json_body(_ref("Record"), "Created; Location and ETag name it"),
                    **_errors("400", "401", "403", "404", "422"),
                },
            },
        },
        "/api/v1/vault/modules/{module}/records/{record_id}": {
            "parameters": [MODULE, RECORD_ID],
            "get": {
                "summary": "The current version of one record",
                "operationId": "getRecord",
                "security": read,
                "responses": {"200": _json_body(_ref("Record"), "Record, with ETag"), **_errors("401", "403", "404")},
            },
            "put": {
                "summary": "Store a new version of a record, attested by the calling client",
                "operationId": "updateRecord",
                "security": write,
                "parameters": [{"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}],
                "requestBody": RECORD_BODY,
                "responses": {
                    "200": _json_body(_ref("Record"), "The new version"),
                    **_errors("400", "401", "403", "404", "409", "422"),
                },
            },
        },
        "/api/v1/vault/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {JSON: {}}}},
            }
        },
    }


def _components() -> dict[str, Any]:
    provenance = {
        "type": "object",
        "properties": {
            "asserted_by": {"enum": ["citizen", "organisation"]},
            "client_id": {"type": ["string", "null"]},
            "organisation": {"type": ["string", "null"]},
            "asserted_at": {"type": "string", "format": "date-time"},
        },
    }
    record = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "module": {"enum": list(catalogue.MODULE_NAMES)},
            "version": {"type": "integer", "minimum": 1},
            "data": {"type": "object", "description": "A record valid against its module's schema"},
            "provenance": _ref("Provenance"),
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    }
    module = {"type": "object", "properties": {key: {"type": "string"} for key in ("name", "title", "description")}}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}, "errors": {}},
        },
        "Provenance": provenance,
        "Record": record,
        "RecordList": {"type": "object", "properties": {"module": {"type": "string"}, "records": {"items": record}}},
        "Module": module,
        "ModuleList": {"type": "object", "properties": {"modules": {"type": "array", "items": _ref("Module")}}},
    }
    schemas.update({f"module.{name}": module_.schema for name, module_ in catalogue.modules().items()})
    bearer = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (RFC 9068)"}
    return {"schemas": schemas, "securitySchemes": {"bearer": bearer}}


@cache
def openapi_document(issuer: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Logbook vault API",
            "version": "1",
            "description": "A citizen's vault modules, for clients holding an access token for the audience "
            f"{issuer}/api/v1/vault with scopes vault:<module>:read|write.",
        },
        "servers": [{"url": issuer}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": _components(),
    }
