"""The signed-in citizen's own pages: overview, active sessions, sign out elsewhere, change password."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from idp.accounts import passwords
from idp.accounts.models import LoginSession
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.web_helpers import latest_message, post_form, sign_in

NEW_PASSWORD = "a long and unusual passphrase"


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)) or 0


def two_browsers(app: Flask) -> tuple[FlaskClient, FlaskClient]:
    create_user(given_name="Sam", family_name="Jones")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(elsewhere)
    sign_in(here)
    return here, elsewhere


def test_account_pages_need_a_signed_in_session(client: FlaskClient) -> None:
    for url in ("/account", "/account/password", "/account/sessions"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in?next=" in response.location


def test_the_overview_shows_name_contact_and_confirmation(client: FlaskClient) -> None:
    create_user(given_name="Sam", family_name="Jones")
    sign_in(client)
    page = client.get("/account").get_data(as_text=True)
    assert "Sam Jones" in page and "citizen@example.org" in page and "Confirmed" in page
    assert 'href="/account/password"' in page and 'href="/account/sessions"' in page


def test_the_sessions_page_lists_each_device_and_marks_this_one(app: Flask) -> None:
    here, _ = two_browsers(app)
    page = here.get("/account/sessions", headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/130.0"})
    text = page.get_data(as_text=True)
    assert len(re.findall(r'action="/account/sessions/[0-9a-f]{32}/sign-out"', text)) == 2
    assert text.count("This device") == 1


def test_signing_out_one_other_device(app: Flask) -> None:
    here, elsewhere = two_browsers(app)
    other = db.session.scalars(select(LoginSession).order_by(LoginSession.created_at)).first()
    assert other is not None
    post_form(here, f"/account/sessions/{other.id}/sign-out", {}, page_url="/account/sessions")
    assert elsewhere.get("/account").status_code == 302
    assert here.get("/account").status_code == 200


def test_sign_out_of_all_other_devices_keeps_this_one(app: Flask) -> None:
    """Issue 2: "sign out of all devices"."""
    here, elsewhere = two_browsers(app)
    post_form(here, "/account/sessions/sign-out-others", {}, page_url="/account/sessions")
    assert elsewhere.get("/account").status_code == 302
    assert here.get("/account").status_code == 200
    assert session_count() == 1


def test_someone_elses_session_cannot_be_ended(app: Flask) -> None:
    here, _ = two_browsers(app)
    create_user(email="other@example.org")
    stranger = app.test_client()
    sign_in(stranger, "other@example.org")
    theirs = db.session.scalars(select(LoginSession).order_by(LoginSession.created_at.desc())).first()
    post_form(here, f"/account/sessions/{theirs.id}/sign-out", {}, page_url="/account/sessions")  # type: ignore[union-attr]
    assert stranger.get("/account").status_code == 200


def change_password(client: FlaskClient, current: str, new: str = NEW_PASSWORD) -> object:
    data = {"current_password": current, "new_password": new, "confirm_password": new}
    return post_form(client, "/account/password", data)


def test_changing_the_password_needs_the_current_one(app: Flask) -> None:
    """Issue 2: "change password (current password required)"."""
    here, _ = two_browsers(app)
    response = change_password(here, "not my password")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "current password is not correct" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    user = db.session.scalar(select(LoginSession)).user  # type: ignore[union-attr]
    assert passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)


def test_changing_the_password_ends_the_other_sessions_and_tells_the_person(app: Flask, outbox: object) -> None:
    here, elsewhere = two_browsers(app)
    response = change_password(here, DEFAULT_PASSWORD)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert elsewhere.get("/account").status_code == 302
    assert here.get("/account").status_code == 200
    assert latest_message(outbox, to="citizen@example.org")["Subject"] == "Your password was changed"  # type: ignore[arg-type]
    assert sign_in(app.test_client(), password=NEW_PASSWORD).location == "/account"


def test_the_new_password_must_follow_the_policy(app: Flask) -> None:
    here, _ = two_browsers(app)
    response = change_password(here, DEFAULT_PASSWORD, new="iloveyou")
    assert response.status_code == 400 and "too common" in response.get_data(as_text=True)  # type: ignore[attr-defined]
