"""Signing in and out with a password; the sign-in session it starts.

Issue 2: "sign in, sign out ... session id rotated at sign-in ... idle and absolute timeouts ...
rehash on login when parameters change".
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher, Type
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from idp.accounts import passwords
from idp.accounts.models import LoginSession
from idp.database import utcnow
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.web_helpers import post_form, sign_in

VAGUE = "Enter a correct email address or phone number and password"


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)) or 0


def test_signing_in_with_email_and_password_opens_the_account(client: FlaskClient) -> None:
    create_user()
    response = sign_in(client)
    assert response.status_code == 302 and response.location == "/account"
    assert client.get("/account").status_code == 200


def test_signing_in_with_a_mobile_number_as_typed(client: FlaskClient) -> None:
    create_user(email=None, phone="+447700900123")
    assert sign_in(client, "07700 900123").location == "/account"


def test_sign_in_follows_a_local_next_address(client: FlaskClient) -> None:
    create_user()
    assert sign_in(client, next_url="/account/sessions").location == "/account/sessions"


def test_sign_in_ignores_a_next_address_on_another_site(client: FlaskClient) -> None:
    """No open redirects: only local paths are followed."""
    create_user()
    assert sign_in(client, next_url="//evil.example/").location == "/account"


def test_a_wrong_password_gets_the_vague_message(client: FlaskClient) -> None:
    create_user()
    response = sign_in(client, password="not the password")
    assert response.status_code == 400
    assert VAGUE in response.get_data(as_text=True)
    assert session_count() == 0


def test_an_unknown_address_gets_the_same_vague_message(client: FlaskClient) -> None:
    """GOV.UK Notify habit: the failure does not say which part was wrong."""
    response = sign_in(client, "nobody@example.org")
    assert response.status_code == 400
    assert VAGUE in response.get_data(as_text=True)


def test_the_error_summary_links_to_the_field(client: FlaskClient) -> None:
    response = sign_in(client, "", "")
    page = response.get_data(as_text=True)
    assert 'href="#contact"' in page and 'href="#password"' in page


def test_signing_in_replaces_the_session_token(app: Flask, client: FlaskClient) -> None:
    """Issue 2: "session id rotated at sign-in" (an earlier cookie does not stay signed in)."""
    create_user()
    sign_in(client)
    old_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value  # type: ignore[union-attr]
    sign_in(client)
    new_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value  # type: ignore[union-attr]
    assert new_cookie != old_cookie
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie)
    assert replay.get("/account").status_code == 302  # the old token was discarded
    assert session_count() == 1


def test_a_session_idle_for_longer_than_the_idle_timeout_ends(app: Flask, client: FlaskClient) -> None:
    create_user()
    sign_in(client)
    idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=1)
    db.session.execute(update(LoginSession).values(last_active_at=utcnow() - idle))
    db.session.commit()
    assert client.get("/account").status_code == 302
    assert session_count() == 0


def test_a_session_older_than_the_absolute_timeout_ends_even_when_active(app: Flask, client: FlaskClient) -> None:
    create_user()
    sign_in(client)
    old = app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(seconds=1)
    db.session.execute(update(LoginSession).values(created_at=utcnow() - old, last_active_at=utcnow()))
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_sign_out_by_get_only_asks(client: FlaskClient) -> None:
    """A link (or an image on another site) cannot sign anyone out."""
    create_user()
    sign_in(client)
    page = client.get("/sign-out")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    assert client.get("/account").status_code == 200


def test_sign_out_by_post_ends_the_session(client: FlaskClient) -> None:
    create_user()
    sign_in(client)
    response = post_form(client, "/sign-out", {})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
    assert session_count() == 0


def test_a_hash_made_with_old_parameters_is_upgraded_at_sign_in(app: Flask, client: FlaskClient) -> None:
    """Issue 2: "rehash on login when parameters change"."""
    old_hasher = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1, type=Type.ID)
    user = create_user()
    user.password_hash = old_hasher.hash(DEFAULT_PASSWORD)
    db.session.commit()
    old_hash = user.password_hash
    assert passwords.needs_rehash(old_hash)
    sign_in(client)
    db.session.refresh(user)
    assert user.password_hash != old_hash and not passwords.needs_rehash(user.password_hash)
    assert passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)


def test_a_disabled_account_cannot_sign_in(client: FlaskClient) -> None:
    create_user(disabled_at=utcnow())
    response = sign_in(client)
    assert response.status_code == 400 and VAGUE in response.get_data(as_text=True)
