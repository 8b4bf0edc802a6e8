"""Changing the email address or mobile number: the new contact is proved with a one-time code before it
replaces the old one, the old contact is told, and the pages need a fresh strongest-factor sign-in."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.extensions import db
from tests.authn.helpers import age_session
from tests.builders import create_user
from tests.web_helpers import body, csrf_token, latest_code, latest_message, post_form

NEW_EMAIL = "new-address@example.org"


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)  # type: ignore[return-value]


def _ask_for(client: FlaskClient, channel: str, contact: str) -> object:
    return post_form(client, "/account/contact", {"channel": channel, "contact": contact})


def test_a_new_email_address_gets_a_code_and_replaces_nothing_yet(
    signed_in: FlaskClient, user: User, outbox: Path
) -> None:
    """Issue 5 (brief): the new contact is verified by a one-time code through the outbox first."""
    response = _ask_for(signed_in, "email", NEW_EMAIL)
    assert response.headers["Location"] == "/account/contact/confirm"  # type: ignore[attr-defined]
    assert latest_code(outbox, NEW_EMAIL)
    assert _fresh(user).email == "citizen@example.org"


def test_the_right_code_replaces_the_email_address_and_tells_the_old_one(
    signed_in: FlaskClient, user: User, outbox: Path
) -> None:
    """Issue 5 (brief): ... before it replaces the old one; a notice to the old contact."""
    _ask_for(signed_in, "email", NEW_EMAIL)
    done = post_form(signed_in, "/account/contact/confirm", {"code": latest_code(outbox, NEW_EMAIL)})
    assert done.headers["Location"] == "/account"
    changed = _fresh(user)
    assert changed.email == NEW_EMAIL and changed.email_verified_at is not None
    assert "was changed" in body(latest_message(outbox, "citizen@example.org"))


def test_a_wrong_code_changes_nothing(signed_in: FlaskClient, user: User, outbox: Path) -> None:
    _ask_for(signed_in, "email", NEW_EMAIL)
    wrong = "000000" if latest_code(outbox, NEW_EMAIL) != "000000" else "111111"
    response = post_form(signed_in, "/account/contact/confirm", {"code": wrong})
    assert response.status_code == 400 and "not correct" in response.get_data(as_text=True)
    assert _fresh(user).email == "citizen@example.org"


def test_a_new_mobile_number_is_confirmed_by_text(signed_in: FlaskClient, user: User, outbox: Path) -> None:
    _ask_for(signed_in, "phone", "07700 900 982")
    post_form(signed_in, "/account/contact/confirm", {"code": latest_code(outbox, "sms:+447700900982")})
    assert _fresh(user).phone == "+447700900982"


def test_an_address_another_account_uses_gets_the_same_answer_as_a_free_one(signed_in: FlaskClient, user: User) -> None:
    """No account enumeration, as at registration: the change goes on to the same "enter the code" page."""
    create_user(email=NEW_EMAIL)
    response = _ask_for(signed_in, "email", NEW_EMAIL)
    assert response.status_code == 302 and response.headers["Location"] == "/account/contact/confirm"  # type: ignore[attr-defined]
    page = signed_in.get("/account/contact/confirm")
    assert page.status_code == 200 and NEW_EMAIL in page.get_data(as_text=True)


def test_the_owner_of_a_taken_address_gets_a_notice_and_no_code(
    signed_in: FlaskClient, user: User, outbox: Path
) -> None:
    create_user(email=NEW_EMAIL)
    _ask_for(signed_in, "email", NEW_EMAIL)
    notice = body(latest_message(outbox, NEW_EMAIL))
    assert "Someone asked to use this email address on another" in notice
    assert not re.search(r"\b\d{6}\b", notice)


def test_no_code_moves_a_taken_address_and_wrong_codes_get_the_usual_answers(
    signed_in: FlaskClient, user: User
) -> None:
    create_user(email=NEW_EMAIL)
    _ask_for(signed_in, "email", NEW_EMAIL)
    for _ in range(5):
        wrong = post_form(signed_in, "/account/contact/confirm", {"code": "123456"})
        assert wrong.status_code == 400 and "not correct" in wrong.get_data(as_text=True)
    spent = post_form(signed_in, "/account/contact/confirm", {"code": "123456"})
    assert "too many times" in spent.get_data(as_text=True)
    assert _fresh(user).email == "citizen@example.org"


def test_the_contact_page_asks_a_stale_session_to_sign_in_again(signed_in: FlaskClient, user: User) -> None:
    """Issue 5: changing contact details needs a fresh sign-in with the strongest factor held."""
    age_session(user, 600)
    assert urlsplit(signed_in.get("/account/contact").headers["Location"]).path == "/sign-in/step-up"


def test_a_code_posted_from_a_stale_session_changes_nothing(signed_in: FlaskClient, user: User, outbox: Path) -> None:
    """Issue 5: the confirmation is behind the same fresh sign-in."""
    _ask_for(signed_in, "email", NEW_EMAIL)
    token = csrf_token(signed_in, "/account/contact/confirm")
    age_session(user, 600)
    response = signed_in.post(
        "/account/contact/confirm", data={"code": latest_code(outbox, NEW_EMAIL), "csrf_token": token}
    )
    assert urlsplit(response.headers["Location"]).path == "/sign-in/step-up"
    assert _fresh(user).email == "citizen@example.org"
