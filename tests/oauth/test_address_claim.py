"""The ``address`` scope releases the citizen's current address from their own vault (OIDC Core 5.1.1)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.oauth.helpers import make_rp, signed_in_user, tokens_for
from vault import services
from vault.services import Provenance


def _userinfo_after_sign_in(client: FlaskClient, scope: str) -> dict[str, Any]:
    rp = make_rp(organisation_type="council_service", scope="openid profile address")
    tokens = tokens_for(client, rp, scope=scope)
    response = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def _add_address(user_id: str, address: str, postcode: str | None = None, since: str | None = None) -> None:
    data: dict[str, Any] = {"kind": "address", "address": address}
    if postcode:
        data["postcode"] = postcode
    if since:
        data["lived_here_since"] = since
    services.create_record(user_id, "contact", data, Provenance.citizen())


def test_the_address_scope_releases_the_current_address_from_the_vault(app: Flask, client: FlaskClient) -> None:
    citizen = signed_in_user(client)
    _add_address(citizen.id, "12 River Lane\nMillbrook", "MB2 4XY", since="2024-09-01")
    _add_address(citizen.id, "4 Old Road\nMillbrook", "mb1 1aa", since="2019-04-01")
    assert _userinfo_after_sign_in(client, "openid address")["address"] == {
        "formatted": "12 River Lane\nMillbrook\nMB2 4XY\nUnited Kingdom",
        "postal_code": "MB2 4XY",
        "country": "United Kingdom",
    }


def test_a_postcode_already_written_in_the_address_is_not_repeated(app: Flask, client: FlaskClient) -> None:
    citizen = signed_in_user(client)
    _add_address(citizen.id, "12 River Lane, Millbrook MB2 4XY", "mb24xy")
    address = _userinfo_after_sign_in(client, "openid address")["address"]
    assert address["formatted"] == "12 River Lane, Millbrook MB2 4XY\nUnited Kingdom"
    assert address["postal_code"] == "MB2 4XY"


def test_no_address_claim_without_an_address_record(app: Flask, client: FlaskClient) -> None:
    signed_in_user(client)
    assert "address" not in _userinfo_after_sign_in(client, "openid address")


def test_no_address_claim_without_the_address_scope(app: Flask, client: FlaskClient) -> None:
    citizen = signed_in_user(client)
    _add_address(citizen.id, "12 River Lane\nMillbrook", "MB2 4XY")
    assert "address" not in _userinfo_after_sign_in(client, "openid profile")
