"""Builders for test data: small functions that make one thing through the real services."""

from __future__ import annotations

from datetime import UTC, datetime

from idp.accounts.models import User
from idp.extensions import db

DEFAULT_PASSWORD = "correct horse battery staple"


def create_user(
    email: str | None = "citizen@example.org",
    phone: str | None = None,
    password: str = DEFAULT_PASSWORD,
    verified: bool = True,
    **fields: object,
) -> User:
    """A citizen with a password, contact verified unless told otherwise."""
    from idp.accounts.passwords import hash_password

    now = datetime.now(UTC)
    user = User(email=email, phone=phone, password_hash=hash_password(password), **fields)
    if verified:
        user.email_verified_at = now if email else None
        user.phone_verified_at = now if phone else None
    db.session.add(user)
    db.session.commit()
    return user


def create_client(
    name: str = "Test relying party",
    redirect_uris: tuple[str, ...] | list[str] = ("https://rp.example.org/callback",),
    scope: str = "openid profile email phone address",
    organisation_type: str = "landlord",
    organisation: object | None = None,
    **metadata: object,
) -> tuple[object, str | None]:
    """A registered OAuth client through the real registry service. Returns (client, secret in clear).

    A ``council_service`` organisation makes a first-party client unless ``first_party`` says otherwise.
    """
    from clients.services import create_client as register
    from clients.services import create_organisation

    owner = organisation or create_organisation(f"{name} organisation", organisation_type)
    return register(name, owner, redirect_uris=list(redirect_uris), scope=scope, **metadata)  # type: ignore[arg-type]
