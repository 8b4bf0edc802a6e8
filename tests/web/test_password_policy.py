"""The password policy and oversize input.

Issue 2: "8-character minimum, 64+ allowed, the most common passwords refused, oversize input (e.g. 1 MB)
refused fast with a 400".
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from idp.accounts.passwords import MAX_PASSWORD_LENGTH, hash_password, password_problem
from tests.builders import create_user
from tests.web_helpers import csrf_token, sign_in


@pytest.mark.parametrize("common", ["password", "12345678", "iloveyou", "Sunshine", "trustno1", "aaaaaaaaaaaa"])
def test_the_most_common_passwords_are_refused(app: object, common: str) -> None:
    assert password_problem(common) is not None and "common" in password_problem(common)  # type: ignore[operator]


def test_a_long_uncommon_passphrase_is_accepted(app: object) -> None:
    assert password_problem("walrus lantern opera 1987") is None


def test_a_password_of_256_characters_is_allowed_and_257_is_not(app: object) -> None:
    assert password_problem("x7" * 128) is None
    assert "256 characters or fewer" in (password_problem("x7" * 128 + "y") or "")


def test_an_oversize_password_is_never_hashed(app: object) -> None:
    with pytest.raises(ValueError):
        hash_password("x" * (MAX_PASSWORD_LENGTH + 1))


def test_a_one_megabyte_password_is_refused_with_a_400_before_it_is_read(client: FlaskClient) -> None:
    """The body is over MAX_CONTENT_LENGTH: refused from its Content-Length, never parsed or hashed."""
    create_user()
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"contact": "citizen@example.org", "password": "x" * 1024 * 1024, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "too long" in response.get_data(as_text=True)


def test_a_password_over_256_characters_in_a_small_body_is_refused_by_the_form(client: FlaskClient) -> None:
    create_user()
    response = sign_in(client, password="x" * 5000)
    assert response.status_code == 400
    assert "256 characters or fewer" in response.get_data(as_text=True)
