"""Small builders for the consent tests: a citizen, a landlord's client, and a grant through the services."""

from __future__ import annotations

from typing import Any

from consent import services
from consent.models import Grant
from tests.builders import create_client, create_user

LANDLORD_SCOPES = "openid profile vault:tenancy:read vault:tenancy:write vault:money:read"


def landlord_client(**metadata: Any) -> Any:
    metadata.setdefault("purpose", "To manage your tenancy")
    metadata.setdefault("allowed_modules", ["tenancy", "money"])
    metadata.setdefault("name", "Riverside Homes portal")
    metadata.setdefault("scope", LANDLORD_SCOPES)
    client, _ = create_client(**metadata)
    return client


def citizen(email: str = "citizen@example.org") -> Any:
    return create_user(email=email)


def grant(user: Any, client: Any, scopes: set[str], days: int | None = None) -> Grant:
    prompt = services.missing_consent(user, client, scopes)
    assert prompt is not None
    return services.record_consent(user, client, prompt.decide(scopes, days))
