"""Client administrators' changes to the client registry, each audited with the administrator's identity.

Validation is the registry's own (``clients.services``): redirect URIs, auth methods, JWKS.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clients import services
from clients.models import Client, Organisation
from idp import audit
from idp.accounts.models import User
from idp.extensions import db
from idp.officers.models import ROLE_CLIENT_ADMIN
from vault.catalogue import MODULE_NAMES

# Client metadata an administrator may change after registration (never the client_id or auth method).
EDITABLE = (
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "scope",
    "purpose",
    "allowed_modules",
    "min_acr",
    "min_identity_level",
    "max_auth_age",
    "logo_uri",
    "contacts",
    "jwks",
)


def _record(admin: User, action: str, target: str, details: dict[str, Any] | None = None) -> None:
    audit.record(admin, ROLE_CLIENT_ADMIN, action, target=target, details=details)


def create_organisation(admin: User, name: str, type: str) -> Organisation:
    organisation = services.create_organisation(name, type)
    _record(admin, "organisation.created", organisation.id, {"name": organisation.name, "type": type})
    return organisation


def rename_organisation(admin: User, organisation: Organisation, name: str) -> None:
    old, organisation.name = organisation.name, name.strip()
    _record(admin, "organisation.renamed", organisation.id, {"from": old, "to": organisation.name})


def create_client(admin: User, organisation: Organisation, **metadata: Any) -> tuple[Client, str | None]:
    """Register a client; its secret (if any) comes back in clear, once."""
    check_modules(metadata.get("allowed_modules") or [])
    client, secret = services.create_client(organisation=organisation, **metadata)
    _record(admin, "client.created", client.client_id, {"organisation": organisation.id, "name": client.name})
    return client, secret


def check_modules(modules: list[str]) -> list[str]:
    unknown = [name for name in modules if name not in MODULE_NAMES]
    if unknown:
        raise services.InvalidClientMetadata(f"allowed_modules: {', '.join(unknown)} not in the catalogue")
    return modules


def update_client(admin: User, client: Client, changes: dict[str, Any]) -> list[str]:
    """Apply validated changes; returns the names of the fields that changed (audited, values not kept)."""
    changes = {name: value for name, value in changes.items() if name in EDITABLE}
    changes["redirect_uris"] = [services.validate_redirect_uri(u) for u in changes.get("redirect_uris", [])]
    changes["post_logout_redirect_uris"] = [
        services.validate_redirect_uri(u) for u in changes.get("post_logout_redirect_uris", [])
    ]
    if "authorization_code" in client.grant_types and not changes["redirect_uris"]:
        raise services.InvalidRedirectURI("the authorization code grant needs at least one redirect URI")
    check_modules(changes.get("allowed_modules") or [])
    if client.token_endpoint_auth_method == "private_key_jwt":
        changes["jwks"] = services.public_jwks(changes.get("jwks"))
    else:
        changes.pop("jwks", None)
    changed = [name for name, value in changes.items() if getattr(client, name) != value]
    for name in changed:
        setattr(client, name, changes[name])
    _record(admin, "client.updated", client.client_id, {"fields": changed})
    return changed


def rotate_secret(admin: User, client: Client, overlap: timedelta) -> str:
    secret = services.rotate_secret(client, overlap)
    _record(admin, "client.secret_rotated", client.client_id, {"overlap_hours": int(overlap.total_seconds() // 3600)})
    return secret


def disable_client(admin: User, client: Client) -> None:
    services.disable_client(client)
    _record(admin, "client.disabled", client.client_id)


def list_organisations() -> list[Organisation]:
    from sqlalchemy import select

    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
