"""Resetting a forgotten password.

Issue 2: "reset password (single-use, expiring token; no account enumeration: the same answer and similar
timing for known and unknown addresses)".
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from idp.accounts.models import PasswordReset
from idp.database import utcnow
from idp.extensions import db
from tests.builders import create_user
from tests.web_helpers import body, latest_link, latest_message, messages, post_form, sign_in

NEW_PASSWORD = "a long and unusual passphrase"


def ask_for_reset(client: FlaskClient, contact: str = "citizen@example.org") -> object:
    return post_form(client, "/reset-password", {"contact": contact})


def choose_password(client: FlaskClient, link: str, password: str = NEW_PASSWORD) -> object:
    return post_form(client, link, {"new_password": password, "confirm_password": password})


def test_a_known_address_is_sent_a_reset_link(client: FlaskClient, outbox: Path) -> None:
    create_user()
    response = ask_for_reset(client)
    assert response.location == "/reset-password/sent"  # type: ignore[attr-defined]
    assert latest_link(outbox, to="citizen@example.org").startswith("/reset-password/")


def test_an_unknown_address_gets_the_same_answer_and_a_note_instead_of_a_link(
    client: FlaskClient, outbox: Path
) -> None:
    """No enumeration: the page is the same; the message says there is no account and holds no link."""
    create_user()
    known = ask_for_reset(client)
    unknown = ask_for_reset(client, "nobody@example.org")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)  # type: ignore[attr-defined]
    note = latest_message(outbox, to="nobody@example.org")
    assert "there is no Logbook account" in body(note) and "/reset-password/" not in body(note)
    page = client.get(unknown.location).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "If it belongs to an account" in page


def test_a_mobile_number_is_sent_the_link_by_text(client: FlaskClient, outbox: Path) -> None:
    create_user(email=None, phone="+447700900123")
    ask_for_reset(client, "07700 900123")
    assert latest_link(outbox, to="sms:+447700900123").startswith("/reset-password/")


def test_the_link_sets_a_new_password_and_ends_every_session(app: Flask, client: FlaskClient, outbox: Path) -> None:
    create_user()
    signed_in_elsewhere = app.test_client()
    sign_in(signed_in_elsewhere)
    ask_for_reset(client)
    response = choose_password(client, latest_link(outbox, to="citizen@example.org"))
    assert response.status_code == 302 and response.location == "/sign-in"  # type: ignore[attr-defined]
    assert signed_in_elsewhere.get("/account").status_code == 302
    assert sign_in(client, password=NEW_PASSWORD).location == "/account"


def test_a_reset_link_works_only_once(client: FlaskClient, outbox: Path) -> None:
    create_user()
    ask_for_reset(client)
    link = latest_link(outbox)
    choose_password(client, link)
    assert client.get(link).status_code == 400


def test_an_expired_reset_link_is_refused(client: FlaskClient, outbox: Path) -> None:
    create_user()
    ask_for_reset(client)
    db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = client.get(latest_link(outbox))
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_asking_again_spends_the_earlier_link(client: FlaskClient, outbox: Path) -> None:
    create_user()
    ask_for_reset(client)
    first = latest_link(outbox)
    ask_for_reset(client)
    assert client.get(first).status_code == 400
    assert len(messages(outbox)) == 2


def test_a_reset_cannot_choose_a_common_password(client: FlaskClient, outbox: Path) -> None:
    create_user()
    ask_for_reset(client)
    response = choose_password(client, latest_link(outbox), "qwertyuiop")
    assert response.status_code == 400 and "too common" in response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_something_that_is_not_an_address_is_refused_with_the_field_named(client: FlaskClient, outbox: Path) -> None:
    response = ask_for_reset(client, "not an address")
    assert response.status_code == 400 and 'href="#contact"' in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert messages(outbox) == []
