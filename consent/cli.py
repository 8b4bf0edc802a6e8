"""``logbook audit``: checks on the access log."""

from __future__ import annotations

import click

from consent.access_log import verify_chain


@click.group("audit")
def audit_group() -> None:
    """The access log of vault reads and writes."""


@audit_group.command("verify")
@click.option(
    "--checkpoint", default=None, help="A head hash printed by an earlier run; it must still be in the chain."
)
def audit_verify(checkpoint: str | None) -> None:
    """Recompute the hash chain; exit 1 naming the first row that does not fit."""
    report = verify_chain(checkpoint)
    if not report.ok:
        where = f" at row {report.bad_seq}" if report.bad_seq is not None else ""
        raise click.ClickException(f"access log broken{where}: {report.reason}")
    click.echo(f"Access log intact: {report.rows} rows, head {report.head_hash}.")
    # Keeping the head hash somewhere else (a ticket, a signed note) lets a later check prove that
    # nobody rewrote the whole chain from some row onwards.
