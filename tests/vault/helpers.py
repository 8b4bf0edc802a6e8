"""Builders for the vault tests: tokens minted by the provider's own token service."""

from __future__ import annotations

import time
from typing import Any

from idp.oauth2.access_tokens import issue_access_token
from tests.builders import create_client

TENANCY = {
    "kind": "tenancy",
    "tenancy_reference": "T-99812",
    "property_address": "Flat 3, 17 Quarry Lane, Millbrook",
    "start_date": "2024-04-01",
    "rent_amount": 451.25,
    "rent_frequency": "monthly",
    "landlord": "Millbrook Housing Association",
}


def landlord() -> Any:
    client, _ = create_client(name="Riverside Homes portal", scope="openid vault:tenancy:read vault:tenancy:write")
    return client


def consent_for(user: Any, client: Any, *scopes: str) -> str | None:
    """The citizen consents to ``scopes`` for ``client`` (as on the consent page); the live grant's id."""
    from consent import services as consent

    prompt = consent.missing_consent(user, client, set(scopes))
    if prompt is not None:
        consent.record_consent(user, client, prompt.decide(prompt.missing))
    grant = consent.live_grant(user.id, client.client_id)
    return grant.id if grant else None


def token_for(user: Any, client: Any, *scopes: str, lifetime: int | None = None) -> str:
    """A token as the provider issues it after the citizen consented (the vault checks the grant)."""
    grant_id = consent_for(user, client, *scopes)
    issued = issue_access_token(
        client.client_id,
        user.id,
        {"openid", *scopes},
        user_id=user.id,
        auth_time=int(time.time()),
        acr="urn:logbook:acr:password",
        amr=["pwd"],
        lifetime=lifetime,
        grant_id=grant_id,
    )
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
