"""A bounded, deterministic Schemathesis run over the vault API's OpenAPI document, with a real token.

Schemathesis generates requests from ``/api/v1/vault/openapi.json`` (valid and, on purpose, schema-breaking
ones) and checks each answer: never a 5xx, and every response conforms to the document (documented status
code, content type, headers and body schema). Hypothesis runs derandomized with a fixed number of examples
per operation, so the run is the same every time.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.builders import create_client, create_user
from tests.vault.helpers import TENANCY, bearer, token_for
from vault import catalogue, services
from vault.services import Provenance

EXAMPLES_PER_OPERATION = 25
# No 5xx, and every answer as documented. Left out: positive_data_acceptance, because the document gives a
# write's body as any module's record (oneOf), so a valid money record sent to the tenancy path is rightly
# a 422; and ignored_auth, because every call carries the real token passed in here.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ALL_SCOPES = tuple(f"vault:{module}:{action}" for module in catalogue.MODULE_NAMES for action in ("read", "write"))


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/vault/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_vault_api_conforms_to_its_openapi_document_and_never_answers_5xx(app: Flask) -> None:
    user = create_user()
    services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    partner, _ = create_client(name="Every-module partner", scope="openid " + " ".join(ALL_SCOPES))
    headers = bearer(token_for(user, partner, *ALL_SCOPES))
    for operation in _operations(app):
        _run(operation, headers)


def _run(operation: Any, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
