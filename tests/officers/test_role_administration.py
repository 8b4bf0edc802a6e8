"""Role administration in the console (/staff): a role administrator gives and takes away the officer,
client administrator, auditor and role administrator roles of other accounts, never their own; each change is
audited with the acting administrator; the last role administrator cannot be removed."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.audit import AuditEvent
from idp.extensions import db
from idp.officers.roles import grant_role, roles_of
from tests.builders import create_user
from tests.officers.helpers import create_staff, sign_in_as_staff, signed_in_as
from tests.web_helpers import post_form


def _set_roles(client: FlaskClient, user: User, *roles: str):  # type: ignore[no-untyped-def]
    # The CSRF token comes from the staff list: one's own roles page shows no form.
    return post_form(client, f"/staff/{user.id}", {"roles": list(roles)}, page_url="/staff")


def _audited(action: str) -> list[AuditEvent]:
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.seq).all()


def test_a_role_administrator_finds_an_account_by_its_email_address(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.officer@council.example.org", given_name="Jo", family_name="Patel")
    response = post_form(client, "/staff/find", {"contact": "jo.officer@council.example.org"}, page_url="/staff")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/{colleague.id}"
    assert "Jo Patel" in client.get(f"/staff/{colleague.id}").get_data(as_text=True)


def test_looking_an_account_up_is_audited(client: FlaskClient) -> None:
    admin = signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.officer@council.example.org")
    post_form(client, "/staff/find", {"contact": "jo.officer@council.example.org"}, page_url="/staff")
    [row] = _audited("staff.looked_up")
    assert (row.actor_id, row.actor_role, row.subject_user_id) == (admin.id, "role_admin", colleague.id)


def test_an_unknown_contact_is_refused_with_a_message(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    response = post_form(client, "/staff/find", {"contact": "nobody@council.example.org"}, page_url="/staff")
    assert response.status_code == 400
    assert "No account has this email address or mobile number" in response.get_data(as_text=True)


def test_giving_a_role_opens_that_console_and_is_audited_with_the_administrator(client: FlaskClient) -> None:
    admin = signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.officer@council.example.org")
    response = _set_roles(client, colleague, "officer")
    assert response.status_code == 302
    assert roles_of(colleague) == {"officer"}
    [row] = _audited("role.granted")[-1:]
    assert (row.actor_id, row.actor_role, row.subject_user_id, row.target) == (
        admin.id,
        "role_admin",
        colleague.id,
        "officer",
    )


def test_removing_a_role_is_audited_with_the_administrator(client: FlaskClient) -> None:
    admin = signed_in_as(client, "role_admin")
    colleague = create_staff("auditor", email="jo.auditor@council.example.org")
    grant_role(colleague, "officer", by=None)
    assert _set_roles(client, colleague, "officer").status_code == 302
    assert roles_of(colleague) == {"officer"}
    [row] = _audited("role.revoked")
    assert (row.actor_id, row.subject_user_id, row.target) == (admin.id, colleague.id, "auditor")


def test_the_page_says_what_changed(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    colleague = create_staff("auditor", email="jo.auditor@council.example.org")
    page = client.get(_set_roles(client, colleague, "client_admin").headers["Location"]).get_data(as_text=True)
    assert "now holds client administrator and no longer holds auditor" in page


def test_the_staff_list_shows_who_holds_which_role(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    create_staff("auditor", email="jo.auditor@council.example.org")
    page = client.get("/staff").get_data(as_text=True)
    assert "Sam Auditor" in page and "jo.auditor@council.example.org" in page
    assert "Sam Role_Admin" in page and "Role administrator" in page


def test_a_role_administrator_cannot_change_their_own_roles(client: FlaskClient) -> None:
    admin = signed_in_as(client, "role_admin")
    assert 'name="roles"' not in client.get(f"/staff/{admin.id}").get_data(as_text=True)
    response = _set_roles(client, admin, "role_admin", "officer", "auditor")
    assert response.status_code == 403
    assert "You cannot change your own roles" in response.get_data(as_text=True)
    assert roles_of(admin) == {"role_admin"}
    assert _audited("role.granted")[-1].actor_id == "cli"  # only the bootstrap grant


def test_another_role_administrator_can_be_made_and_removed(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.admin@council.example.org")
    _set_roles(client, colleague, "role_admin")
    assert roles_of(colleague) == {"role_admin"}
    _set_roles(client, colleague)
    assert roles_of(colleague) == frozenset()


def test_the_last_role_administrator_cannot_be_removed(app: Flask) -> None:
    """The console never lets anyone change their own roles, so the last administrator could only be
    removed from the command line: it refuses too, and the role stays."""
    admin = create_staff("role_admin")
    result = app.test_cli_runner().invoke(args=["officers", "revoke-role", admin.email, "role-admin"])
    assert result.exit_code != 0
    assert "last role administrator" in result.output
    assert roles_of(admin) == {"role_admin"}
    assert _audited("role.revoked") == []


def test_the_last_role_administrator_can_leave_once_someone_else_is_one(app: Flask) -> None:
    admin = create_staff("role_admin")
    grant_role(create_user(email="jo.admin@council.example.org"), "role_admin", by=None)
    result = app.test_cli_runner().invoke(args=["officers", "revoke-role", admin.email, "role-admin"])
    assert result.exit_code == 0, result.output
    assert roles_of(admin) == frozenset()


def test_an_account_that_has_not_confirmed_its_address_gets_no_role(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.officer@council.example.org", verified=False)
    response = _set_roles(client, colleague, "officer")
    assert response.status_code == 409
    assert "has not confirmed their email address" in response.get_data(as_text=True)
    assert roles_of(colleague) == frozenset()


def test_an_unknown_account_page_is_not_found(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    assert client.get("/staff/no-such-account").status_code == 404


def test_an_unknown_role_is_refused(client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.officer@council.example.org")
    response = _set_roles(client, colleague, "superuser")
    assert response.status_code == 400
    assert roles_of(colleague) == frozenset()


@pytest.mark.parametrize("role", ["officer", "client_admin", "auditor"])
def test_other_roles_cannot_change_roles(client: FlaskClient, role: str) -> None:
    """Role checks: 403 for every other role, on the list and on a change."""
    signed_in_as(client, role)
    colleague = create_user(email="jo.officer@council.example.org")
    assert client.get("/staff").status_code == 403
    token_page = "/account/password"
    response = post_form(client, f"/staff/{colleague.id}", {"roles": ["officer"]}, page_url=token_page)
    assert response.status_code == 403
    assert roles_of(colleague) == frozenset()


def test_the_member_of_staff_sees_the_change_in_their_account_activity(app: Flask, client: FlaskClient) -> None:
    signed_in_as(client, "role_admin")
    colleague = create_user(email="jo.officer@council.example.org")
    _set_roles(client, colleague, "officer")
    other = app.test_client()
    sign_in_as_staff(other, colleague)
    page = other.get("/account/activity").get_data(as_text=True)
    assert "Gave this account a staff role" in page
