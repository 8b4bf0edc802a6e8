"""The demo's people: a citizen with vault data and a council staff member who holds every staff role, each
with a known password and an authenticator app (staff pages demand a second factor), so that a newcomer can
try both the citizen's side and the officer console.

Known passwords are safe only in a throwaway database: ``require_demo_database`` refuses any database but
the demo's, and any production configuration, before anything is written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click
import pyotp

from idp.config import PROJECT_ROOT

DEMO_EMAIL = "sam.demo@example.org"
DEMO_PASSWORD = "demo passphrase for logbook"
STAFF_EMAIL = "jo.officer@council.example.org"
STAFF_PASSWORD = "demo staff passphrase for logbook"
STAFF_NAME = ("Jo", "Adeyemi")
STAFF_ROLES = ("officer", "client_admin", "auditor", "role_admin")
# The demo has its own database, so it never touches (or needs migrations of) the development one.
DEMO_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'demo.sqlite'}"

VAULT_DATA: dict[str, dict[str, Any]] = {
    "tenancy": {
        "kind": "tenancy",
        "tenancy_reference": "RH-20417",
        "property_address": "Flat 2, 9 Mill Lane, Millbrook",
        "start_date": "2023-05-01",
        "rent_amount": 512.5,
        "rent_frequency": "monthly",
        "landlord": "Riverside Homes",
    },
    "health": {"kind": "gp_registration", "practice_name": "Millbrook Surgery", "nhs_number": "485 777 3456"},
    "employment": {"kind": "skill", "skill": "Forklift driving", "level": "advanced"},
}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    totp_secret: str


def demo_database_url() -> str:
    """The database the demo may seed: ``DEMO_DATABASE_URL`` from the environment, else instance/demo.sqlite."""
    return os.environ.get("DEMO_DATABASE_URL") or DEMO_DATABASE_URL


def require_demo_database(config: Mapping[str, Any]) -> None:
    """Refuse to seed accounts with published passwords anywhere but the demo's own database."""
    if config.get("ENV_NAME") == "production":
        raise click.ClickException("The demo data is never seeded in production (LOGBOOK_ENV=production).")
    if str(config.get("SQLALCHEMY_DATABASE_URI")) != demo_database_url():
        raise click.ClickException(
            "The demo seeds only the demo database, so its published passwords never reach a real one. "
            f"Run `make demo`, or set DATABASE_URL to {demo_database_url()} (or DEMO_DATABASE_URL to the same "
            "value as DATABASE_URL for a demo database of your own)."
        )


def _account(email: str, password: str, name: tuple[str, str]) -> Any:
    """The account with a confirmed email address (created on first run, left as it is after)."""
    from sqlalchemy import select

    from idp.accounts.models import User
    from idp.accounts.passwords import hash_password
    from idp.database import utcnow
    from idp.extensions import db

    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, password_hash=hash_password(password), email_verified_at=utcnow(),
                    given_name=name[0], family_name=name[1])  # fmt: skip
        db.session.add(user)
        db.session.commit()
    return user


def _authenticator_secret(user: Any) -> str:
    """The account's TOTP secret, enrolling an authenticator app the first time."""
    from idp.authn import totp

    factor = totp.active_factor(user)
    if factor is None:
        enrolment = totp.start_enrolment(user)
        # Confirmed with the previous step's code (still accepted), so that the code the newcomer's app shows
        # now has not been spent and their first sign-in works at once.
        previous = pyotp.TOTP(enrolment.secret).at(time.time() - totp.STEP_SECONDS)
        totp.confirm_enrolment(enrolment.factor, previous)
        factor = enrolment.factor
    return totp.secret_of(factor)


def seed_citizen(email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> DemoAccount:
    """A verified citizen with an authenticator app and a little vault data."""
    from vault import services as vault
    from vault.services import Provenance

    user = _account(email, password, ("Sam", "Okafor"))
    secret = _authenticator_secret(user)
    for module, record in VAULT_DATA.items():
        if not vault.list_records(user.id, module):
            vault.create_record(user.id, module, record, Provenance.citizen())
    return DemoAccount(email, password, secret)


def seed_staff(email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> DemoAccount:
    """A council staff member holding every staff role (each grant audited, as from the command line)."""
    from idp.extensions import db
    from idp.officers.roles import grant_role

    user = _account(email, password, STAFF_NAME)
    secret = _authenticator_secret(user)
    for role in STAFF_ROLES:
        grant_role(user, role, by=None)
    db.session.commit()
    return DemoAccount(email, password, secret)
