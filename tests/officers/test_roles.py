"""Role-based officer console: officer, client administrator, auditor, role administrator."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.audit import AuditEvent
from idp.extensions import db
from idp.officers.roles import has_role
from tests.builders import create_user
from tests.officers.helpers import signed_in_as
from tests.web_helpers import sign_in

HOME_OF = {"officer": "/officers", "client_admin": "/admin", "auditor": "/audit-trail", "role_admin": "/staff"}


def test_officer_blueprints_are_registered_with_requires_role(app: Flask) -> None:
    """Every blueprint is registered with one guard; the staff ones with the role they need."""
    guards = app.extensions["logbook_guards"]
    assert guards["officers"] == "requires_role(officer)"
    assert guards["client_admin"] == "requires_role(client_admin)"
    assert guards["auditor"] == "requires_role(auditor)"
    assert guards["role_admin"] == "requires_role(role_admin)"


@pytest.mark.parametrize("role", sorted(HOME_OF))
def test_each_role_reaches_its_own_pages(client: FlaskClient, role: str) -> None:
    signed_in_as(client, role)
    assert client.get(HOME_OF[role]).status_code == 200


@pytest.mark.parametrize(
    ("role", "page"), [(role, page) for role in HOME_OF for other, page in HOME_OF.items() if other != role]
)
def test_a_role_gets_403_on_another_roles_pages(client: FlaskClient, role: str, page: str) -> None:
    """Role checks: an officer cannot reach another role's pages (403)."""
    signed_in_as(client, role)
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("page", sorted(HOME_OF.values()))
def test_a_citizen_without_a_role_gets_403(client: FlaskClient, page: str) -> None:
    create_user()
    sign_in(client)
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("page", sorted(HOME_OF.values()))
def test_staff_pages_send_signed_out_visitors_to_sign_in(client: FlaskClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_a_signed_out_post_to_a_staff_page_is_refused(client: FlaskClient) -> None:
    assert client.post("/officers/search/contact").status_code in (400, 401)


def test_cli_grant_role_bootstraps_the_first_administrator(app: Flask) -> None:
    """`logbook officers grant-role <email> <role>` gives the role and the grant is audited."""
    user = create_user(email="first.admin@council.example.org")
    command = ["officers", "grant-role", "first.admin@council.example.org", "client-admin"]
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert has_role(user, "client_admin")
    event = db.session.query(AuditEvent).filter_by(action="role.granted").one()
    assert (event.actor_id, event.subject_user_id, event.target) == ("cli", user.id, "client_admin")


def test_cli_grant_role_names_an_unknown_account(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["officers", "grant-role", "nobody@example.org", "officer"])
    assert result.exit_code != 0
    assert "No account" in result.output


def test_cli_revoke_role_takes_the_pages_away(app: Flask, client: FlaskClient) -> None:
    staff = signed_in_as(client, "auditor")
    result = app.test_cli_runner().invoke(args=["officers", "revoke-role", staff.email, "auditor"])
    assert result.exit_code == 0, result.output
    assert client.get("/audit-trail").status_code == 403
    assert db.session.query(AuditEvent).filter_by(action="role.revoked").count() == 1
