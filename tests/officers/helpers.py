"""Staff accounts for the officer-console tests: made through the real services, signed in over HTTP with a
password and an authenticator-app code, as staff pages demand (issue 6)."""

from __future__ import annotations

from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.officers.roles import grant_role
from tests.authn.helpers import enrol_totp, sign_in_with_code
from tests.builders import create_user


def create_staff(role: str, email: str | None = None, **fields: object) -> User:
    address = email or f"{role}@council.example.org"
    user = create_user(email=address, given_name="Sam", family_name=role.title(), **fields)
    grant_role(user, role, by=None)
    return user


def sign_in_as_staff(client: FlaskClient, staff: User) -> str:
    """Enrol an authenticator app for ``staff`` and sign in with it; returns the app's secret."""
    secret = enrol_totp(staff)
    response = sign_in_with_code(client, staff, secret)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return secret


def signed_in_as(client: FlaskClient, role: str, email: str | None = None) -> User:
    staff = create_staff(role, email)
    sign_in_as_staff(client, staff)
    return staff
