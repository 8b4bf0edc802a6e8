"""``logbook officers grant-role|revoke-role|verify-audit``: bootstrapping staff and checking the trail."""

from __future__ import annotations

import click

from idp import audit
from idp.accounts.models import User
from idp.accounts.services import find_user_by_contact
from idp.errors import DomainError
from idp.officers import roles
from idp.officers.models import ROLES

ROLE_CHOICES = click.Choice([*ROLES, *roles.ROLE_ALIASES])


@click.group("officers")
def officers_group() -> None:
    """Staff roles (officer, client administrator, auditor, role administrator) and the audit trail."""


def _account(contact: str) -> User:
    user = find_user_by_contact(contact)
    if user is None:
        raise click.ClickException(f"No account with the email address or mobile number {contact!r}")
    return user


@officers_group.command("grant-role")
@click.argument("contact")
@click.argument("role", type=ROLE_CHOICES)
def grant_role(contact: str, role: str) -> None:
    """Give an account a staff role (e.g. the first client administrator). Audited."""
    try:
        changed = roles.grant_role(_account(contact), role, by=None)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{contact} {'is now' if changed else 'already was'} {roles.role_named(role)}.")


@officers_group.command("revoke-role")
@click.argument("contact")
@click.argument("role", type=ROLE_CHOICES)
def revoke_role(contact: str, role: str) -> None:
    """Take a staff role away from an account. Audited. The last role administrator keeps theirs."""
    try:
        changed = roles.revoke_role(_account(contact), role, by=None)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{contact} {'no longer holds' if changed else 'did not hold'} {roles.role_named(role)}.")


@officers_group.command("verify-audit")
@click.option(
    "--checkpoint", default=None, help="A head hash printed by an earlier run; it must still be in the chain."
)
def verify_audit(checkpoint: str | None) -> None:
    """Recompute the audit trail's hash chain; exit 1 naming the first row that does not fit."""
    report = audit.verify_chain(checkpoint)
    if not report.ok:
        where = f" at row {report.bad_seq}" if report.bad_seq is not None else ""
        raise click.ClickException(f"audit trail broken{where}: {report.reason}")
    click.echo(f"Audit trail intact: {report.rows} rows, head {report.head_hash}.")
