"""Fixtures for the authentication tests: a citizen, and a browser signed in as them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from tests.builders import create_user
from tests.web_helpers import sign_in


@pytest.fixture
def user(app: Flask) -> User:
    return create_user()


@pytest.fixture
def signed_in(client: FlaskClient, user: User) -> FlaskClient:
    """A browser signed in with the password only, just now."""
    response = sign_in(client, user.email or "")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
