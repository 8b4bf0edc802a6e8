"""``logbook oauth2 purge``: housekeeping for the provider's tables (run it from cron)."""

from __future__ import annotations

import click

from idp.accounts.sessions import end_timed_out_sessions
from idp.oauth2.tokens import purge_expired
from vault import held_forms


@click.group("oauth2")
def oauth2_group() -> None:
    """The OpenID provider's housekeeping."""


@oauth2_group.command("purge")
def oauth2_purge() -> None:
    """End sign-in sessions past their timeout (revoking their tokens, telling their clients), then delete
    expired access-token ids, authorization codes, refresh tokens, client-assertion ids and the vault's
    held forms."""
    counts = {
        "timed_out_sessions": end_timed_out_sessions(),
        **purge_expired(),
        "vault_held_forms": held_forms.purge_expired(),
    }
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))
