"""The shared flow helper works for first-party and partner clients alike."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from idp.oauth2.access_tokens import vault_audience, verify_access_token
from tests.flows import run_code_flow


def test_run_code_flow_for_a_partner_with_vault_scopes(app: Flask, client: FlaskClient) -> None:
    _, tokens = run_code_flow(client, scope="openid vault:money:read", organisation_type="landlord")
    assert "vault:money:read" in verify_access_token(tokens["access_token"], vault_audience()).scopes


def test_run_code_flow_for_a_council_service(app: Flask, client: FlaskClient) -> None:
    _, tokens = run_code_flow(client)
    assert tokens["id_token"] and tokens["refresh_token"]
