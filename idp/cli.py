"""The ``logbook`` command: Flask's commands (run, db ...) plus Logbook's own groups.

Each area adds its group in ``register_cli``; the command functions stay thin and call services.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from idp.keyring import SUPPORTED_ALGORITHMS, Keyring, KeyringError


def _create_app() -> Flask:
    from idp.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Logbook: council sign-in and citizen data-sharing hub."""


def keyring() -> Keyring:
    return current_app.extensions["logbook_keyring"]  # type: ignore[no-any-return]


@click.group("keys")
def keys_group() -> None:
    """Signing keys: list, rotate, retire."""


@keys_group.command("list")
def keys_list() -> None:
    """Show every published key and whether it signs (current) or only verifies (retiring)."""
    for key in keyring().keys:
        click.echo(f"{key.kid}\t{key.alg}\t{key.status}")


@keys_group.command("rotate")
@click.option("--alg", type=click.Choice(SUPPORTED_ALGORITHMS), default=None, help="Defaults to the signing algorithm.")
def keys_rotate(alg: str | None) -> None:
    """Add a new signing key; the old one stays published until its tokens have expired."""
    key = keyring().rotate(alg)
    click.echo(f"New current key {key.kid} ({key.alg}). Restart or reload workers to start signing with it.")


@keys_group.command("retire")
@click.option("--kid", default=None, help="Retire this key now, whatever its age.")
def keys_retire(kid: str | None) -> None:
    """Remove retiring keys once every token they signed has expired."""
    config = current_app.config
    longest_token = max(config["ACCESS_TOKEN_LIFETIME"], config["ID_TOKEN_LIFETIME"])
    try:
        removed = keyring().retire(min_age_seconds=longest_token, kid=kid)
    except KeyringError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Retired: " + (", ".join(removed) if removed else "nothing yet (tokens may still be live)"))


def register_cli(app: Flask) -> None:
    app.cli.add_command(keys_group)
    from idp.ops.commands import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from consent.cli import audit_group

    app.cli.add_command(audit_group)
    from vault.cli import vault_group

    app.cli.add_command(vault_group)
    from clients.cli import clients_group

    app.cli.add_command(clients_group)
    from idp.oauth2.cli import oauth2_group

    app.cli.add_command(oauth2_group)
    from idp.officers.cli import officers_group

    app.cli.add_command(officers_group)
    from clients.examples.demo import demo_group

    app.cli.add_command(demo_group)
