"""Registration with an email address or a UK mobile number, confirmed by a one-time code.

Issue 2: "register (email, or mobile number for people without email), verify the contact by a one-time
code or link sent through a real outbox".
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from idp.accounts.models import ContactVerification, User
from idp.database import utcnow
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD
from tests.web_helpers import body, latest_code, latest_link, latest_message, messages, post_form, sign_in

EMAIL = "new.citizen@example.org"
PHONE_TYPED = "07700 900 982"
PHONE_E164 = "+447700900982"


def register(client: FlaskClient, **fields: str) -> object:
    data = {
        "given_name": "Sam",
        "family_name": "Jones",
        "email": EMAIL,
        "new_password": DEFAULT_PASSWORD,
        "confirm_password": DEFAULT_PASSWORD,
        **fields,
    }
    return post_form(client, "/register", data)


def user_by_email(email: str = EMAIL) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def test_registering_by_email_creates_an_unconfirmed_account_and_emails_a_code(
    client: FlaskClient, outbox: Path
) -> None:
    response = register(client, email="New.Citizen@Example.ORG")
    assert response.status_code == 302 and response.location.endswith("/verify")
    user = user_by_email()
    assert user is not None and not user.contact_verified
    message = latest_message(outbox, to=EMAIL)
    assert message["Subject"] == "Confirm your email address"
    assert len(latest_code(outbox)) == 6


def test_registering_by_mobile_number_stores_it_in_e164_and_sends_a_text(client: FlaskClient, outbox: Path) -> None:
    """Issue 2: "or mobile number for people without email"."""
    response = register(client, email="", phone=PHONE_TYPED)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == PHONE_E164))
    assert user is not None and user.email is None
    assert latest_message(outbox, to=f"sms:{PHONE_E164}")
    assert len(latest_code(outbox)) == 6


def test_a_landline_number_is_refused_with_the_field_named(client: FlaskClient) -> None:
    response = register(client, email="", phone="020 7946 0000")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#phone"' in page
    assert db.session.scalar(select(User)) is None


def test_an_email_address_or_a_mobile_number_is_needed(client: FlaskClient) -> None:
    response = register(client, email="", phone="")
    assert response.status_code == 400
    assert 'href="#email"' in response.get_data(as_text=True)


def test_an_email_address_and_a_mobile_number_together_are_refused(client: FlaskClient) -> None:
    """One contact per account: the number is for people without email."""
    response = register(client, phone=PHONE_TYPED)
    assert response.status_code == 400 and "not both" in response.get_data(as_text=True)


def test_the_code_confirms_the_email_address_then_the_person_signs_in(client: FlaskClient, outbox: Path) -> None:
    register(client)
    response = post_form(client, "/verify", {"code": latest_code(outbox)})
    assert response.status_code == 302 and "/sign-in" in response.location
    assert user_by_email().contact_verified  # type: ignore[union-attr]
    assert sign_in(client, EMAIL).location.endswith("/account")


def test_the_code_in_a_text_message_confirms_the_mobile_number(client: FlaskClient, outbox: Path) -> None:
    register(client, email="", phone=PHONE_TYPED)
    post_form(client, "/verify", {"code": latest_code(outbox)})
    user = db.session.scalar(select(User).where(User.phone == PHONE_E164))
    assert user is not None and user.phone_verified_at is not None


def test_the_link_in_the_email_confirms_the_address_in_any_browser(
    client: FlaskClient, outbox: Path, app: object
) -> None:
    register(client)
    other_browser = app.test_client()  # type: ignore[attr-defined]
    response = other_browser.get(latest_link(outbox))
    assert response.status_code == 302
    assert user_by_email().contact_verified  # type: ignore[union-attr]


def test_a_confirmation_link_works_only_once(client: FlaskClient, outbox: Path) -> None:
    register(client)
    link = latest_link(outbox)
    client.get(link)
    assert client.get(link).status_code == 400


def test_a_code_works_only_once(client: FlaskClient, outbox: Path) -> None:
    """Codes are single-use: a spent code no longer confirms anything, even for the same account."""
    register(client)
    code = latest_code(outbox)
    post_form(client, "/verify", {"code": code})
    row = db.session.scalar(select(ContactVerification))
    assert row is not None and row.used_at is not None
    from idp.accounts import registration
    from idp.accounts.errors import CodeRejected

    user = user_by_email()
    user.email_verified_at = None  # type: ignore[union-attr]
    db.session.commit()
    try:
        registration.verify_code(user, code)  # type: ignore[arg-type]
    except CodeRejected:
        pass
    else:
        raise AssertionError("a spent code was accepted again")


def test_an_expired_code_is_refused(client: FlaskClient, outbox: Path) -> None:
    """Codes expire after 15 minutes."""
    register(client)
    code = latest_code(outbox)
    db.session.execute(update(ContactVerification).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    response = post_form(client, "/verify", {"code": code})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert not user_by_email().contact_verified  # type: ignore[union-attr]


def test_five_wrong_codes_kill_the_code(client: FlaskClient, outbox: Path) -> None:
    """Attempts are limited: after five wrong tries even the right code is refused."""
    register(client)
    code = latest_code(outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert post_form(client, "/verify", {"code": wrong}).status_code == 400
    response = post_form(client, "/verify", {"code": code})
    assert response.status_code == 400 and "too many times" in response.get_data(as_text=True)


def test_asking_for_a_new_code_spends_the_old_one(client: FlaskClient, outbox: Path) -> None:
    register(client)
    old = latest_code(outbox)
    post_form(client, "/verify/resend", {}, page_url="/verify")
    new = latest_code(outbox)
    assert len(messages(outbox)) == 2
    if old != new:
        assert post_form(client, "/verify", {"code": old}).status_code == 400
    assert post_form(client, "/verify", {"code": new}).status_code == 302


def test_an_unconfirmed_account_is_sent_to_the_confirmation_page_at_sign_in(
    client: FlaskClient, outbox: Path, app: object
) -> None:
    """Until verified, the account cannot sign in to services."""
    register(client)
    browser = app.test_client()  # type: ignore[attr-defined]
    response = sign_in(browser, EMAIL)
    assert response.status_code == 302 and "/verify" in response.location
    assert browser.get("/account").status_code == 302  # not signed in


def test_registering_a_taken_address_answers_exactly_as_for_a_new_one(app: object, outbox: Path) -> None:
    """No account enumeration: the same redirect and the same "check your email" page, whoever owns it."""
    register(app.test_client())  # type: ignore[attr-defined]  # the address's owner
    fresh, taken = app.test_client(), app.test_client()  # type: ignore[attr-defined]
    new_answer = register(fresh, email="someone.else@example.org")
    taken_answer = register(taken)
    assert (taken_answer.status_code, taken_answer.location) == (new_answer.status_code, new_answer.location)  # type: ignore[attr-defined]
    new_page = fresh.get("/verify").get_data(as_text=True).replace("someone.else@example.org", EMAIL)
    taken_page = taken.get("/verify").get_data(as_text=True)
    assert _without_csrf(taken_page) == _without_csrf(new_page)
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def _without_csrf(page: str) -> str:
    """The page less what differs on every response anyway: CSRF tokens and CSP nonces."""
    return re.sub(r'(name="csrf_token"[^>]*value|nonce)="[^"]+"', "", page)


def test_the_owner_of_a_taken_address_is_told_someone_tried_to_register(client: FlaskClient, outbox: Path) -> None:
    register(client)
    register(client.application.test_client())
    notice = latest_message(outbox, to=EMAIL)
    assert notice["Subject"] == "You already have a Logbook account"
    text = body(notice)
    assert "Someone tried to register" in text and "sign in" in text and "reset your password" in text
    assert not re.search(r"\b\d{6}\b", text)  # no code: nothing to confirm


def test_the_owner_of_a_taken_mobile_number_is_told_by_text(client: FlaskClient, outbox: Path) -> None:
    register(client, email="", phone=PHONE_TYPED)
    register(client.application.test_client(), email="", phone=PHONE_TYPED)
    assert "Someone tried to register" in body(latest_message(outbox, to=f"sms:{PHONE_E164}"))


def test_no_code_confirms_a_registration_for_a_taken_address(client: FlaskClient, outbox: Path) -> None:
    """Wrong codes get the answers a real registration gives, up to "too many times"; nothing is confirmed."""
    owner = client.application.test_client()
    register(owner)
    real_code = latest_code(outbox)
    register(client, given_name="Mallory")
    answers = [post_form(client, "/verify", {"code": real_code}) for _ in range(6)]
    assert all(answer.status_code == 400 for answer in answers)
    assert "code is not correct" in answers[0].get_data(as_text=True)
    assert "too many times" in answers[5].get_data(as_text=True)
    assert not user_by_email().contact_verified  # type: ignore[union-attr]
    assert user_by_email().given_name == "Sam"  # type: ignore[union-attr]


def test_asking_for_a_new_code_for_a_taken_address_looks_the_same_and_sends_nothing(
    client: FlaskClient, outbox: Path
) -> None:
    register(client.application.test_client())
    register(client)
    sent = len(messages(outbox))
    response = post_form(client, "/verify/resend", {}, page_url="/verify")
    assert response.status_code == 302 and "/verify" in response.location
    assert f"We have sent a new code to {EMAIL}" in client.get(response.location).get_data(as_text=True)
    assert len(messages(outbox)) == sent


def test_a_common_password_is_refused(client: FlaskClient) -> None:
    """Issue 2: "the most common passwords refused"."""
    response = register(client, new_password="password123", confirm_password="password123")
    assert response.status_code == 400
    assert "too common" in response.get_data(as_text=True)
    assert user_by_email() is None


def test_a_password_shorter_than_8_characters_is_refused(client: FlaskClient) -> None:
    response = register(client, new_password="Zq9#xT2", confirm_password="Zq9#xT2")
    assert response.status_code == 400 and "at least 8 characters" in response.get_data(as_text=True)


def test_a_64_character_password_is_allowed(client: FlaskClient) -> None:
    """Issue 2: "64+ allowed"."""
    long_password = "correct horse battery staple " * 2 + "and then some"
    assert len(long_password) >= 64
    response = register(client, new_password=long_password, confirm_password=long_password)
    assert response.status_code == 302


def test_new_codes_for_a_taken_address_are_limited_as_for_a_new_one(app: object, outbox: Path) -> None:
    """The per-recipient message limit (3 per 15 minutes) answers the same, counted per address."""
    register(app.test_client())  # type: ignore[attr-defined]
    register(app.test_client(), email="", phone=PHONE_TYPED)  # type: ignore[attr-defined]
    pretender, other = app.test_client(), app.test_client()  # type: ignore[attr-defined]
    register(pretender)
    register(other, email="", phone=PHONE_TYPED)
    answers = [post_form(pretender, "/verify/resend", {}, page_url="/verify").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    assert post_form(other, "/verify/resend", {}, page_url="/verify").status_code == 302


def test_a_code_for_a_taken_address_expires_like_a_real_one_and_a_new_code_starts_again(
    client: FlaskClient, outbox: Path
) -> None:
    register(client.application.test_client())
    register(client)
    with client.session_transaction() as cookie:  # 16 minutes later: the (never sent) code's 15 are over
        cookie["registration_decoy"] = {**cookie["registration_decoy"], "issued_at": time.time() - 16 * 60}
    assert "has expired" in post_form(client, "/verify", {"code": "123456"}).get_data(as_text=True)
    post_form(client, "/verify/resend", {}, page_url="/verify")
    assert "code is not correct" in post_form(client, "/verify", {"code": "123456"}).get_data(as_text=True)
