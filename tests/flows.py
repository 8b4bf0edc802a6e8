"""Whole protocol flows for tests in any area: a signed-in browser, a registered relying party, tokens.

    rp, tokens = run_code_flow(client, scope="openid vault:money:read", organisation_type="landlord")
    client.get("/api/v1/vault/...", headers={"Authorization": f"Bearer {tokens['access_token']}"})

Partners (not ``council_service``) go through the consent page, allowing everything asked.
"""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.oauth.helpers import RP, authorize, exchange, make_rp, redirect_params, signed_in_user


def allow_consent(client: FlaskClient, rp: RP, scope: str, **params: Any) -> str:
    """Answer the consent page with every scope ticked; returns the authorization code."""
    response = authorize(client, rp, scope=scope, **params)
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        fields = dict(re.findall(r'name="(csrf_token|request_id)" value="([^"]+)"', html))
        ticked = re.findall(r'name="scopes"[^>]*value="([^"]+)"', html)
        decided = client.post("/authorize/consent", data={**fields, "decision": "allow", "scopes": ticked})
        response = client.get(decided.headers["Location"])
    return redirect_params(response)["code"]


def run_code_flow(
    client: FlaskClient,
    scope: str = "openid profile email",
    organisation_type: str = "council_service",
    email: str = "citizen@example.org",
    rp: RP | None = None,
    **client_metadata: Any,
) -> tuple[RP, dict[str, Any]]:
    """Sign a new citizen in, register a client (unless given), run code + PKCE, return the token response."""
    rp = rp or make_rp(organisation_type=organisation_type, scope=scope, **client_metadata)
    signed_in_user(client, email=email)
    code = allow_consent(client, rp, scope)
    response = exchange(client, rp, code)
    assert response.status_code == 200, response.get_json()
    return rp, response.get_json()
