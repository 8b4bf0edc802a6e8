"""The whole step-up loop through the real endpoints: a vault call falls short, the relying party reads
the RFC 9470 challenge, sends the citizen back with acr_values, the citizen enters an authenticator-app
code at /sign-in/step-up, and the new token reads the module."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from flask.testing import FlaskClient
from sqlalchemy import select

from clients.step_up import INSUFFICIENT_USER_AUTHENTICATION, parse_bearer_challenge
from idp.accounts.models import User
from idp.authn.levels import ACR_TWO_FACTOR
from idp.extensions import db
from tests.authn.helpers import complete_step_up, enrol_totp
from tests.flows import run_code_flow
from tests.oauth.helpers import authorization_params, exchange, redirect_params
from tests.vault.helpers import bearer

HEALTH = "/api/v1/vault/modules/health/records"
SCOPE = "openid vault:health:read"


def test_a_gp_challenged_for_health_gets_a_two_factor_token_after_the_citizen_steps_up(client: FlaskClient) -> None:
    """Issue 5: RFC 9470 challenge header parsed by a test client, which then steps up and succeeds."""
    rp, tokens = run_code_flow(client, scope=SCOPE, organisation_type="gp_practice")
    citizen = db.session.scalars(select(User).where(User.email == "citizen@example.org")).one()
    secret = enrol_totp(citizen)  # the citizen holds an app but signed in today with the password only

    refused = client.get(HEALTH, headers=bearer(tokens["access_token"]))
    challenge = parse_bearer_challenge(refused.headers["WWW-Authenticate"])
    assert refused.status_code == 401 and challenge["error"] == INSUFFICIENT_USER_AUTHENTICATION

    params = authorization_params(rp, scope=SCOPE, acr_values=challenge["acr_values"], max_age=challenge["max_age"])
    back_at_client = complete_step_up(client, "/authorize?" + urlencode(params), secret)
    stronger = exchange(client, rp, redirect_params(back_at_client)["code"]).get_json()

    assert client.get(HEALTH, headers=bearer(stronger["access_token"])).status_code == 200
    assert claims_of(stronger["access_token"])["acr"] == ACR_TWO_FACTOR.value
    assert claims_of(stronger["access_token"])["amr"] == ["pwd", "otp"]


def claims_of(jwt: str) -> dict[str, object]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]
