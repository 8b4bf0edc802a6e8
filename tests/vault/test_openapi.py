"""The OpenAPI document is served and kept in step with the code."""

import re

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator


def _routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("vault_api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            routes.update((path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_every_api_route_is_documented_and_every_documented_operation_exists(app: Flask, client: FlaskClient) -> None:
    """An OpenAPI document for this API is served and kept in step with the code."""
    document = client.get("/api/v1/vault/openapi.json").get_json()
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    assert documented == _routes(app)


def test_the_document_is_openapi_3_1_with_every_module_schema(client: FlaskClient) -> None:
    document = client.get("/api/v1/vault/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for name in ("identity", "tenancy", "money", "health", "support"):
        Draft202012Validator.check_schema(document["components"]["schemas"][f"module.{name}"])
