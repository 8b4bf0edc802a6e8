"""The citizen's vault pages, driven through real HTTP with CSRF on."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.accounts.models import User
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.vault.helpers import TENANCY
from tests.web_helpers import post_form, sign_in
from vault import services
from vault.models import DataKey, Record
from vault.services import Provenance

REPAIR = {
    "reported_on-day": "12",
    "reported_on-month": "1",
    "reported_on-year": "2025",
    "description": "Boiler not heating water",
    "status": "reported",
}


@pytest.fixture
def citizen(app: Flask, client: FlaskClient) -> User:
    user = create_user()
    assert sign_in(client).status_code == 302
    return user


def test_the_vault_needs_a_sign_in(client: FlaskClient) -> None:
    response = client.get("/vault")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_home_page_lists_every_module_with_what_is_filled_in(client: FlaskClient, citizen: User) -> None:
    """A vault home listing modules with what is filled in."""
    services.create_record(citizen.id, "tenancy", TENANCY, Provenance.citizen())
    page = client.get("/vault").get_data(as_text=True)
    for title in ("Who you are", "Your tenancy", "Your money", "Your health and wellbeing", "Support"):
        assert title in page
    assert "1 record" in page


def test_a_record_added_through_the_form_is_stored(client: FlaskClient, citizen: User) -> None:
    response = post_form(client, "/vault/tenancy/add/repair", REPAIR)
    assert response.status_code == 302
    (record,) = services.list_records(citizen.id, "tenancy")
    assert record.data == {
        "kind": "repair",
        "reported_on": "2025-01-12",
        "description": "Boiler not heating water",
        "status": "reported",
    }
    assert record.provenance.asserted_by == "self"


def test_a_form_error_names_the_field_and_stores_nothing(client: FlaskClient, citizen: User) -> None:
    """A rejected write names the field and loses nothing already stored."""
    impossible = {**REPAIR, "reported_on-day": "31", "reported_on-month": "2"}
    response = post_form(client, "/vault/tenancy/add/repair", impossible)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#reported_on-day">Date reported must be a real date' in page
    assert services.list_records(citizen.id, "tenancy") == []


def test_a_missing_required_field_is_named_in_the_error_summary(client: FlaskClient, citizen: User) -> None:
    response = post_form(client, "/vault/tenancy/add/repair", {**REPAIR, "description": ""})
    assert response.status_code == 400
    assert 'href="#description">Enter what needs repairing?' in response.get_data(as_text=True)


def test_a_money_field_that_is_not_an_amount_is_named(client: FlaskClient, citizen: User) -> None:
    response = post_form(client, "/vault/money/add/debt", {"creditor": "Energy Co", "amount_owed": "lots"})
    assert response.status_code == 400
    assert "Amount owed must be an amount in pounds" in response.get_data(as_text=True)


def test_a_posted_form_without_its_csrf_token_is_refused(client: FlaskClient, citizen: User) -> None:
    response = client.post("/vault/tenancy/add/repair", data=REPAIR)
    assert response.status_code == 400
    assert services.list_records(citizen.id, "tenancy") == []


def test_changing_a_record_keeps_its_history_on_the_record_page(client: FlaskClient, citizen: User) -> None:
    """Version history."""
    record = services.create_record(citizen.id, "tenancy", TENANCY, Provenance.citizen())
    url = f"/vault/tenancy/{record.id}/change"
    form = client.get(url).get_data(as_text=True)
    assert 'value="451.25"' in form and 'name="start_date-year"' in form
    changed = {
        "property_address": TENANCY["property_address"],
        "start_date-day": "1",
        "start_date-month": "4",
        "start_date-year": "2024",
        "rent_amount": "£460.00",
        "rent_frequency": "monthly",
    }
    assert post_form(client, url, changed).status_code == 302
    page = client.get(f"/vault/tenancy/{record.id}").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page and "£460.00" in page


def test_an_attested_record_changed_by_the_citizen_shows_the_attestation_as_replaced(
    client: FlaskClient, citizen: User
) -> None:
    record = services.create_record(
        citizen.id, "tenancy", TENANCY, Provenance.attested("rents", "Millbrook Council rents")
    )
    services.update_record(citizen.id, "tenancy", record.id, {**TENANCY, "landlord": "Me"}, Provenance.citizen())
    page = client.get(f"/vault/tenancy/{record.id}").get_data(as_text=True)
    assert "Added by you" in page
    assert re.search(r"Confirmed by Millbrook Council rents on .*, but replaced by your change", page)


def test_deleting_a_record_after_confirming_removes_it(client: FlaskClient, citizen: User) -> None:
    record = services.create_record(citizen.id, "tenancy", TENANCY, Provenance.citizen())
    assert post_form(client, f"/vault/tenancy/{record.id}/delete", {}).status_code == 302
    assert services.list_records(citizen.id, "tenancy") == []


def test_another_citizens_record_is_not_found(client: FlaskClient, citizen: User) -> None:
    other = create_user("other@example.org")
    theirs = services.create_record(other.id, "tenancy", TENANCY, Provenance.citizen())
    assert client.get(f"/vault/tenancy/{theirs.id}").status_code == 404
    assert client.get(f"/vault/tenancy/{theirs.id}/change").status_code == 404


def test_the_download_contains_every_record(client: FlaskClient, citizen: User) -> None:
    """Download of everything (a JSON export of all modules with provenance, plus a human-readable page)."""
    services.create_record(citizen.id, "tenancy", TENANCY, Provenance.citizen())
    skill = {"kind": "skill", "skill": "Forklift driving"}
    services.create_record(citizen.id, "employment", skill, Provenance.citizen())
    exported = client.get("/vault/download.json")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    modules = exported.get_json()["modules"]
    assert modules["tenancy"]["records"][0]["data"] == TENANCY
    assert modules["employment"]["records"][0]["data"]["skill"] == "Forklift driving"
    page = client.get("/vault/download").get_data(as_text=True)
    assert "Forklift driving" in page and "Quarry Lane" in page


def test_account_deletion_needs_the_password(client: FlaskClient, citizen: User) -> None:
    """Account deletion ... after a confirmation and re-authentication."""
    services.create_record(citizen.id, "tenancy", TENANCY, Provenance.citizen())
    response = post_form(client, "/vault/delete-account", {"confirm": "yes", "password": "not my password"})
    assert response.status_code == 400
    assert "Your password is not right" in response.get_data(as_text=True)
    assert db.session.get(DataKey, citizen.id) is not None


def test_account_deletion_destroys_the_data_key_records_and_account(client: FlaskClient, citizen: User) -> None:
    user_id = citizen.id
    services.create_record(user_id, "tenancy", TENANCY, Provenance.citizen())
    response = post_form(client, "/vault/delete-account", {"confirm": "yes", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DataKey, user_id) is None
    assert db.session.scalars(db.select(Record).where(Record.user_id == user_id)).all() == []
    assert db.session.get(User, user_id) is None
    assert client.get("/vault").status_code == 302  # signed out


def test_a_change_made_from_an_outdated_page_is_refused(client: FlaskClient, citizen: User) -> None:
    """A write never silently overwrites a version the citizen had not seen."""
    me = Provenance.citizen()
    record = services.create_record(citizen.id, "employment", {"kind": "skill", "skill": "Welding"}, me)
    url = f"/vault/employment/{record.id}/change"
    stale = {"skill": "Welding (advanced)", "version": "1"}
    services.update_record(citizen.id, "employment", record.id, {"kind": "skill", "skill": "Plumbing"}, me)
    response = post_form(client, url, stale)
    assert response.status_code == 409
    assert services.get_record(citizen.id, "employment", record.id).data["skill"] == "Plumbing"


def test_after_account_deletion_a_token_issued_before_is_refused(client: FlaskClient, citizen: User) -> None:
    """A token for a deleted account reaches nothing, on every database."""
    from tests.vault.helpers import bearer, landlord, token_for

    token = token_for(citizen, landlord(), "vault:tenancy:read")
    post_form(client, "/vault/delete-account", {"confirm": "yes", "password": DEFAULT_PASSWORD})
    response = client.get("/api/v1/vault/modules/tenancy/records", headers=bearer(token))
    assert response.status_code == 401
