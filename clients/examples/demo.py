"""The demo: four example services registered with Logbook, a citizen with data in their vault, and
everything started on loopback ports (``make demo``).

    python -m clients.examples.run_demo  # seed, then run Logbook and the four examples until Ctrl-C (make demo)
    DATABASE_URL=sqlite:///instance/demo.sqlite logbook demo seed   # organisations, clients, citizen, staff

Seeding refuses any database but the demo's (``demo_accounts.require_demo_database``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from clients.examples.demo_accounts import DemoAccount, require_demo_database, seed_citizen, seed_staff
from idp.config import PROJECT_ROOT

CLIENTS_FILE = PROJECT_ROOT / "instance" / "demo-clients.json"
LOGBOOK_PORT = 5000
# The council-tax service's own record of the demo citizen: proved once, by service linking, on first use.
COUNCIL_TAX_ACCOUNT = {"reference": "CT 4417 2093", "check": "ML4 7QT"}


@dataclass(frozen=True)
class Example:
    slug: str
    module: str
    name: str
    organisation: str
    organisation_type: str
    port: int
    scope: str
    modules: tuple[str, ...] = ()
    purpose: str = ""
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")


EXAMPLES = (
    Example("landlord", "landlord", "Riverside Homes tenant portal", "Riverside Homes", "landlord", 5101,
            "openid profile vault:tenancy:read vault:tenancy:write", ("tenancy",),
            "To show your tenancy and record the repairs you report"),
    Example("gp", "gp_practice", "Millbrook Surgery", "Millbrook Surgery", "gp_practice", 5102,
            "openid profile vault:health:read", ("health",), "To prepare for your appointments"),
    Example("agency", "employment_agency", "Millbrook Works", "Millbrook Works", "support_agency", 5103,
            "openid profile vault:employment:read access_requests", ("employment",),
            "To match you with jobs and training that suit your skills",
            ("authorization_code", "refresh_token", "client_credentials")),
    Example("counciltax", "council_tax", "Millbrook Council Tax", "Millbrook Council", "council_service", 5104,
            "openid profile email"),
)  # fmt: skip


def base_url(example: Example) -> str:
    return f"http://127.0.0.1:{example.port}"


def register_example(example: Example) -> tuple[str, str]:
    """The example's client through the real registry (a re-run rotates its secret); (client_id, secret)."""
    from clients import services

    client_id = f"demo-{example.slug}"
    existing = services.find_client(client_id)
    if existing is not None:
        _load_service_records(example, client_id)
        return client_id, services.rotate_secret(existing, overlap=timedelta(0))
    organisation = services.find_or_create_organisation(example.organisation, example.organisation_type)
    _, secret = services.create_client(
        example.name,
        organisation,
        redirect_uris=[f"{base_url(example)}/callback"],
        scope=example.scope,
        grant_types=example.grant_types,
        client_id=client_id,
        post_logout_redirect_uris=[f"{base_url(example)}/signed-out"],
        backchannel_logout_uri=f"{base_url(example)}/backchannel-logout",
        allowed_modules=list(example.modules),
        purpose=example.purpose or None,
    )
    _load_service_records(example, client_id)
    return client_id, str(secret)


def _load_service_records(example: Example, client_id: str) -> None:
    """Service linking (idp.linking): the council-tax service asks its account number and postcode the
    first time a citizen uses it."""
    from clients import services
    from idp.linking.services import import_records

    if example.slug == "counciltax":
        import_records(services.get_client(client_id), "council_tax", [COUNCIL_TAX_ACCOUNT])


def seed_clients(path: Path = CLIENTS_FILE) -> dict[str, dict[str, Any]]:
    """Register the four examples and write their credentials to ``path`` (kept out of git, mode 0600)."""
    saved = {}
    for example in EXAMPLES:
        client_id, secret = register_example(example)
        saved[example.slug] = {"client_id": client_id, "client_secret": secret, "port": example.port}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2))
    return saved


STORY = """
Logbook demo — everything runs on this machine.

  Logbook                     {logbook}
  Riverside Homes (landlord)  {landlord}
  Millbrook Surgery (GP)      {gp}
  Millbrook Works (agency)    {agency}
  Millbrook Council Tax       {counciltax}

{citizen}
{staff}
The story:
  1. Landlord: sign in with Logbook, allow it to see your tenancy, report a repair.
  2. GP: the surgery asks for your health information; Logbook asks for your authenticator code first.
  3. Agency: in Logbook, "Who can see my data" > sharing code; give the code to the agency's adviser form;
     approve the request in Logbook; then "See what you share with us" at the agency.
  4. Council tax: sign in — no password asked again (single sign-on); the first time, link your council
     tax account: account number {ct_reference}, postcode {ct_postcode}.
  5. Sign out in any one service: you are signed out of all of them (back-channel logout).
  6. Officer console ({logbook}/officers): in another browser sign in as council staff, find the
     citizen by email address, enter the help code the citizen gets at /account/help-code, then share
     their information with a service alongside them: /sharing says who helped; /account/activity
     lists what the officer did.
Stop everything with Ctrl-C.
"""
ACCOUNT = """{who}: {email} / password "{password}"
  authenticator app secret (add it to any TOTP app): {secret}
  or print the current code: .venv/bin/python -c "import pyotp; print(pyotp.TOTP('{secret}').now())"
"""


def describe_account(who: str, account: DemoAccount) -> str:
    return ACCOUNT.format(who=who, email=account.email, password=account.password, secret=account.totp_secret)


@click.group("demo")
def demo_group() -> None:
    """The example relying parties and the demo data."""


@demo_group.command("seed")
@click.option("--clients-file", type=click.Path(path_type=Path, dir_okay=False), default=CLIENTS_FILE)
def seed_command(clients_file: Path) -> None:
    """Register the four example services, seed the demo citizen and a staff member holding every staff role
    (idempotent; rotates the secrets). Only ever into the demo database."""
    from flask import current_app

    from idp.extensions import db

    require_demo_database(current_app.config)
    db.create_all()  # the demo database is disposable
    seed_clients(clients_file)
    citizen, staff = seed_citizen(), seed_staff()
    click.echo(f"Clients written to {clients_file}")
    urls = {example.slug: base_url(example) for example in EXAMPLES}
    issuer = os.environ.get("LOGBOOK_ISSUER", f"http://127.0.0.1:{LOGBOOK_PORT}")
    ct = {"ct_reference": COUNCIL_TAX_ACCOUNT["reference"], "ct_postcode": COUNCIL_TAX_ACCOUNT["check"]}
    people = {"citizen": describe_account("Citizen", citizen), "staff": describe_account("Council staff", staff)}
    click.echo(STORY.format(logbook=issuer, **people, **urls, **ct))
