"""Staff pages require a strong sign-in: a second factor or passkey used within STAFF_AUTH_MAX_AGE seconds.
A member of staff signed in with a password only is sent to step-up, and comes back to the page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.audit import AuditEvent
from idp.authn.levels import ACR_TWO_FACTOR
from idp.extensions import db
from tests.authn.helpers import (
    SoftAuthenticator,
    age_session,
    complete_step_up,
    enrol_totp,
    register_passkey,
    use_passkey,
)
from tests.officers.helpers import create_staff, signed_in_as
from tests.web_helpers import post_form, sign_in

HOME_OF = {"officer": "/officers", "client_admin": "/admin", "auditor": "/audit-trail", "role_admin": "/staff"}


def _step_up_request(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


@pytest.mark.parametrize(("role", "page"), sorted(HOME_OF.items()))
def test_a_password_only_sign_in_is_sent_to_step_up_for_a_second_factor(
    app: Flask, client: FlaskClient, role: str, page: str
) -> None:
    staff = create_staff(role)
    sign_in(client, staff.email or "")  # no second factor yet, so the password alone signs in
    response = client.get(page)
    assert response.status_code == 302
    path, query = _step_up_request(response.headers["Location"])
    assert path == "/sign-in/step-up"
    assert query == {"next": [page], "acr": [ACR_TWO_FACTOR.value], "max_age": [str(app.config["STAFF_AUTH_MAX_AGE"])]}


def test_staff_without_a_second_factor_are_told_to_set_one_up(client: FlaskClient) -> None:
    staff = create_staff("officer")
    sign_in(client, staff.email or "")
    response = client.get(client.get("/officers").headers["Location"])
    assert response.status_code == 403
    assert "You have not set up a second way to sign in yet" in response.get_data(as_text=True)


def test_after_the_second_factor_the_staff_page_opens(client: FlaskClient) -> None:
    staff = create_staff("officer")
    sign_in(client, staff.email or "")
    secret = enrol_totp(staff)  # set up after signing in: the session is still password-only
    response = complete_step_up(client, "/officers", secret=secret)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Find a citizen' in response.get_data(as_text=True)


def test_a_passkey_sign_in_opens_staff_pages(app: Flask, client: FlaskClient) -> None:
    staff = create_staff("client_admin")
    sign_in(client, staff.email or "")
    authenticator = SoftAuthenticator()
    assert register_passkey(client, authenticator).status_code == 200
    browser = app.test_client()
    answer = use_passkey(browser, authenticator, "sign-in", "/sign-in/passkey", next="/admin")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["redirect"] == "/admin"
    assert browser.get("/admin").status_code == 200


def test_a_second_factor_older_than_the_bound_is_asked_for_again(app: Flask, client: FlaskClient) -> None:
    app.config["STAFF_AUTH_MAX_AGE"] = 600
    staff = signed_in_as(client, "auditor")
    age_session(staff, 601)
    response = client.get("/audit-trail")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in/step-up?")


def test_a_second_factor_within_the_bound_is_enough(app: Flask, client: FlaskClient) -> None:
    app.config["STAFF_AUTH_MAX_AGE"] = 600
    staff = signed_in_as(client, "auditor")
    age_session(staff, 540)
    assert client.get("/audit-trail").status_code == 200


def test_a_form_posted_without_a_strong_sign_in_does_nothing_and_returns_to_the_console(
    client: FlaskClient,
) -> None:
    staff = create_staff("officer")
    sign_in(client, staff.email or "")
    response = post_form(client, "/officers/search/contact", {"c-contact": staff.email}, page_url="/account/password")
    assert response.status_code == 302
    path, query = _step_up_request(response.headers["Location"])
    assert (path, query["next"]) == ("/sign-in/step-up", ["/officers"])
    assert db.session.query(AuditEvent).filter_by(action="citizen.searched").count() == 0


def test_people_without_the_role_get_403_rather_than_step_up(client: FlaskClient) -> None:
    """The role is checked first: step-up is never offered as a way into someone else's console."""
    signed_in_as(client, "auditor")
    assert client.get("/officers").status_code == 403
