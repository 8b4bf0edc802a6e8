"""``logbook backup FILE`` and ``logbook restore FILE [--force]`` (the rules live in ``idp.backup``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from idp import backup as backups
from idp.extensions import db


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write the database and the public signing keys to FILE. The vault KEK is NOT included: keep it apart."""
    try:
        manifest = backups.backup(db.engine, current_app.config["KEYS_DIR"], file)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {backups.sqlalchemy_url_for_humans(db.engine)} to {file}")
    click.echo(f"  {sum(manifest.row_counts.values())} rows in {len(manifest.row_counts)} tables")
    click.echo(f"  public signing keys: {', '.join(manifest.signing_kids) or 'none'}")
    if manifest.kek_ids:
        click.echo(f"  vault data keys are wrapped under KEK(s) {', '.join(manifest.kek_ids)}: back those up apart")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: Path, force: bool) -> None:
    """Replace the database with FILE's and put back its public signing keys (verify-only)."""
    config = current_app.config
    db.session.remove()
    try:
        manifest = backups.restore(db.engine, config["KEYS_DIR"], file, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {sum(manifest.row_counts.values())} rows into {backups.sqlalchemy_url_for_humans(db.engine)}")
    missing = backups.missing_keks(manifest, config["KEYS_DIR"], config.get("VAULT_KEK"))
    if missing:
        click.echo(f"WARNING: vault KEK(s) {', '.join(missing)} are not in {config['KEYS_DIR']}/vault-kek/.", err=True)
        click.echo("  Vault records stay sealed until you put them back (see docs/operations.md).", err=True)
    click.echo("Restart the workers so that they load the restored signing keys.")
