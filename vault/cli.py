"""``logbook vault``: key-encryption key rotation and retirement."""

from __future__ import annotations

import click

from idp.errors import DomainError
from vault import keys
from vault.crypto import KekStoreError


@click.group("vault")
def vault_group() -> None:
    """The vault's key-encryption keys (KEKs)."""


@vault_group.command("rotate-kek")
@click.option("--resume", is_flag=True, help="Finish an interrupted rotation under the current KEK; make no new one.")
@click.option("--batch-size", default=200, show_default=True, help="Data keys re-wrapped per committed batch.")
def rotate_kek(resume: bool, batch_size: int) -> None:
    """Make a new KEK and re-wrap every data key under it. Records are not touched."""
    try:
        count = keys.rotate(new_kek=not resume, batch_size=batch_size, progress=_progress)
    except KekStoreError as error:
        raise click.ClickException(str(error)) from error
    store = keys.kek_store()
    click.echo(f"Re-wrapped {count} data keys under {store.current_id}.")
    older = [kek_id for kek_id in store.ids if kek_id != store.current_id]
    if older:
        click.echo("Once every worker has restarted, retire: " + ", ".join(older))


def _progress(done: int) -> None:
    click.echo(f"  {done} re-wrapped and committed")


@vault_group.command("retire-kek")
@click.argument("kek_id")
def retire_kek(kek_id: str) -> None:
    """Delete a KEK; refused while any data key is still wrapped under it."""
    try:
        keys.retire(kek_id)
    except (DomainError, KekStoreError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Retired {kek_id}.")


@vault_group.command("list-keks")
def list_keks() -> None:
    """Every KEK held, which one is current, and how many data keys each wraps."""
    store, counts = keys.kek_store(), keys.keys_per_kek()
    for kek_id in store.ids:
        marker = "current" if kek_id == store.current_id else "older"
        click.echo(f"{kek_id}\t{marker}\t{counts.get(kek_id, 0)} data keys")
