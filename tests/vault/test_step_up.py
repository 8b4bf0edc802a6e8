"""Step-up for vault calls (RFC 9470): "The effective requirement of a vault call is the strictest of
client, module and grant" and "health and benefits default to a second factor within 15 minutes"."""

from __future__ import annotations

import time
from typing import Any

from flask.testing import FlaskClient

from clients.step_up import INSUFFICIENT_USER_AUTHENTICATION, parse_bearer_challenge, step_up_challenge
from idp.authn.levels import ACR_PASSKEY, ACR_PASSWORD, ACR_TWO_FACTOR
from idp.oauth2.access_tokens import issue_access_token
from tests.builders import create_client, create_user
from tests.vault.helpers import bearer, consent_for

HEALTH = "/api/v1/vault/modules/health/records"
TENANCY = "/api/v1/vault/modules/tenancy/records"


def _token(user: Any, client: Any, scope: str, acr: str, age_seconds: int = 0) -> str:
    issued = issue_access_token(
        client.client_id,
        user.id,
        {"openid", scope},
        user_id=user.id,
        auth_time=int(time.time()) - age_seconds,
        acr=acr,
        amr=["pwd"],
        grant_id=consent_for(user, client, scope),
    )
    return issued.token


def _gp(**policy: Any) -> Any:
    client, _ = create_client(name="Millbrook Surgery", scope="openid vault:health:read", **policy)
    return client


def test_a_password_only_token_reading_health_gets_the_step_up_challenge(client: FlaskClient) -> None:
    """The vault API answers a token that falls short with RFC 9470: 401 and WWW-Authenticate: Bearer
    error="insufficient_user_authentication", error_description="...", acr_values="...", max_age=..."""
    response = client.get(HEALTH, headers=bearer(_token(create_user(), _gp(), "vault:health:read", ACR_PASSWORD.value)))
    challenge = parse_bearer_challenge(response.headers["WWW-Authenticate"])
    assert response.status_code == 401
    assert challenge["error"] == INSUFFICIENT_USER_AUTHENTICATION
    assert (challenge["acr_values"], challenge["max_age"]) == (ACR_TWO_FACTOR.value, "900")
    assert "second factor" in challenge["error_description"]


def test_a_fresh_two_factor_token_reads_health(client: FlaskClient) -> None:
    token = _token(create_user(), _gp(), "vault:health:read", ACR_TWO_FACTOR.value)
    assert client.get(HEALTH, headers=bearer(token)).status_code == 200


def test_a_two_factor_sign_in_older_than_fifteen_minutes_must_be_renewed(client: FlaskClient) -> None:
    token = _token(create_user(), _gp(), "vault:health:read", ACR_TWO_FACTOR.value, age_seconds=901)
    response = client.get(HEALTH, headers=bearer(token))
    assert response.status_code == 401
    assert parse_bearer_challenge(response.headers["WWW-Authenticate"])["max_age"] == "900"


def test_the_clients_own_policy_is_stricter_than_the_modules(client: FlaskClient) -> None:
    """The strictest of client and module: a passkey within 5 minutes beats two factors within 15."""
    gp = _gp(min_acr=ACR_PASSKEY.value, max_auth_age=300)
    response = client.get(HEALTH, headers=bearer(_token(create_user(), gp, "vault:health:read", ACR_TWO_FACTOR.value)))
    challenge = parse_bearer_challenge(response.headers["WWW-Authenticate"])
    assert (challenge["acr_values"], challenge["max_age"]) == (ACR_PASSKEY.value, "300")


def test_a_client_policy_applies_to_modules_without_one(client: FlaskClient) -> None:
    landlord, _ = create_client(name="Strict Homes", scope="openid vault:tenancy:read", min_acr=ACR_TWO_FACTOR.value)
    token = _token(create_user(), landlord, "vault:tenancy:read", ACR_PASSWORD.value)
    response = client.get(TENANCY, headers=bearer(token))
    assert response.status_code == 401
    assert parse_bearer_challenge(response.headers["WWW-Authenticate"])["acr_values"] == ACR_TWO_FACTOR.value


def test_an_invalid_token_still_gets_invalid_token_first(client: FlaskClient) -> None:
    response = client.get(HEALTH, headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert parse_bearer_challenge(response.headers["WWW-Authenticate"])["error"] == "invalid_token"


def test_a_missing_scope_is_insufficient_scope_before_any_step_up(client: FlaskClient) -> None:
    token = _token(create_user(), _gp(), "vault:tenancy:read", ACR_PASSWORD.value)
    response = client.get(HEALTH, headers=bearer(token))
    assert response.status_code == 403
    assert parse_bearer_challenge(response.headers["WWW-Authenticate"])["error"] == "insufficient_scope"


def test_the_partner_helper_issues_the_same_challenge() -> None:
    """Ship a small helper in clients/ that partner resource servers can use to issue the same challenge."""
    body, status, headers = step_up_challenge('needs "two" factors', acr_values=ACR_TWO_FACTOR.value, max_age=600)
    challenge = parse_bearer_challenge(headers["WWW-Authenticate"])
    assert status == 401 and body["error"] == INSUFFICIENT_USER_AUTHENTICATION
    assert challenge == {
        "error": INSUFFICIENT_USER_AUTHENTICATION,
        "error_description": 'needs "two" factors',
        "acr_values": ACR_TWO_FACTOR.value,
        "max_age": "600",
    }
    assert headers["WWW-Authenticate"].endswith("max_age=600")
