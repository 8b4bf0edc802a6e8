"""``logbook clients create|list|show|rotate-secret|disable``: the operator's client registry."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from clients import services
from clients.models import ORGANISATION_TYPES, Client
from idp.authn.levels import AUTHENTICATION_LEVELS
from idp.errors import DomainError

ACR_CHOICES = [level.value for level in AUTHENTICATION_LEVELS]


@click.group("clients")
def clients_group() -> None:
    """OAuth clients (relying parties) and their organisations."""


def _fail(error: DomainError) -> click.ClickException:
    return click.ClickException(error.message)


def _jwks(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read JWKS from {path}: {error}") from error
    try:
        return services.public_jwks(document)
    except DomainError as error:
        raise _fail(error) from error


@clients_group.command("create")
@click.option("--name", required=True, help="Shown to citizens on the consent page.")
@click.option("--organisation", "organisation_name", required=True, help="Owning organisation (by name).")
@click.option("--organisation-type", type=click.Choice(ORGANISATION_TYPES), help="Creates the organisation if new.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Exact redirect URI (repeatable).")
@click.option("--post-logout-redirect-uri", "post_logout_uris", multiple=True, help="Repeatable.")
@click.option("--scope", default="openid profile email", show_default=True, help="Scopes the client may ask for.")
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(services.GRANT_TYPES))
@click.option("--auth-method", type=click.Choice(services.AUTH_METHODS), default="client_secret_basic")
@click.option("--jwks-file", type=click.Path(path_type=Path, dir_okay=False), help="Public keys for private_key_jwt.")
@click.option("--id-token-alg", type=click.Choice(services.ID_TOKEN_ALGS), default="ES256", show_default=True)
@click.option("--first-party/--partner", default=None, help="Defaults to first-party for council services.")
@click.option("--min-acr", type=click.Choice(ACR_CHOICES))
@click.option("--max-auth-age", type=click.IntRange(min=0), help="Seconds.")
@click.option("--purpose", help="Why the client asks for data (shown on the consent page).")
def clients_create(**options: Any) -> None:
    """Register a client. The secret is printed once and never stored in clear."""
    try:
        organisation = services.find_or_create_organisation(options["organisation_name"], options["organisation_type"])
        client, secret = services.create_client(
            options["name"],
            organisation,
            redirect_uris=list(options["redirect_uris"]),
            scope=options["scope"],
            grant_types=list(options["grant_types"]) or ["authorization_code", "refresh_token"],
            token_endpoint_auth_method=options["auth_method"],
            **_metadata(options),
        )
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"client_id:     {client.client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("Store the secret now: it is not shown again (rotate it with `logbook clients rotate-secret`).")


def _metadata(options: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "post_logout_redirect_uris": list(options["post_logout_uris"]),
        "jwks": _jwks(options["jwks_file"]),
        "id_token_signed_response_alg": options["id_token_alg"],
        "min_acr": options["min_acr"],
        "max_auth_age": options["max_auth_age"],
        "purpose": options["purpose"],
    }
    if options["first_party"] is not None:
        metadata["first_party"] = options["first_party"]
    return metadata


@clients_group.command("list")
def clients_list() -> None:
    """Every client: id, name, organisation, status."""
    for client in services.list_clients():
        status = "disabled" if client.disabled_at else "active"
        click.echo(f"{client.client_id}\t{client.name}\t{client.organisation.name}\t{status}")


def _describe(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "organisation": client.organisation.name,
        "organisation_type": client.organisation.type,
        "first_party": client.first_party,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types,
        "scope": client.scope,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "min_acr": client.min_acr,
        "max_auth_age": client.max_auth_age,
        "service_link_fact": client.service_link_fact,
        "purpose": client.purpose,
        "status": "disabled" if client.disabled_at else "active",
    }


@clients_group.command("show")
@click.argument("client_id")
def clients_show(client_id: str) -> None:
    """A client's registration (never its secret)."""
    try:
        client = services.get_client(client_id)
    except DomainError as error:
        raise _fail(error) from error
    click.echo(json.dumps(_describe(client), indent=2))


@clients_group.command("rotate-secret")
@click.argument("client_id")
@click.option(
    "--overlap-hours",
    type=click.IntRange(min=0),
    default=168,
    show_default=True,
    help="How long the old secret keeps working.",
)
def clients_rotate_secret(client_id: str, overlap_hours: int) -> None:
    """Issue a new secret (printed once); the old one works until the overlap ends."""
    try:
        secret = services.rotate_secret(services.get_client(client_id), timedelta(hours=overlap_hours))
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"client_secret: {secret}")


@clients_group.command("disable")
@click.argument("client_id")
def clients_disable(client_id: str) -> None:
    """Refuse the client from now on and revoke every token it holds."""
    try:
        services.disable_client(services.get_client(client_id))
    except DomainError as error:
        raise _fail(error) from error
    click.echo(f"Disabled {client_id}; its tokens are revoked.")


@clients_group.command("import-service-records")
@click.argument("client_id")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--fact", type=click.Choice(["council_tax", "tenancy"]), required=True, help="What citizens prove.")
def clients_import_service_records(client_id: str, csv_file: Path, fact: str) -> None:
    """Load a council service's records (CSV columns: reference, check) and make the service ask citizens
    to link their account the first time they use it (idp.linking)."""
    import csv

    from idp.linking.services import import_records

    try:
        with csv_file.open(newline="", encoding="utf-8-sig") as handle:
            count = import_records(services.get_client(client_id), fact, list(csv.DictReader(handle)))
    except (DomainError, UnicodeDecodeError, csv.Error) as error:
        raise click.ClickException(getattr(error, "message", str(error))) from error
    click.echo(f"Loaded {count} records for {client_id}; citizens will link with {fact}.")
