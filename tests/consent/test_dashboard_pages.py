"""Dashboard "who can see my data", changes, revocation, receipts and "who has seen my data", through HTTP."""

from __future__ import annotations

from datetime import timedelta

from consent import services
from consent.models import Grant
from consent.receipts import verify_receipt
from idp.database import utcnow
from idp.extensions import db
from tests.consent.helpers import citizen, grant, landlord_client
from tests.web_helpers import post_form, sign_in


def signed_in_citizen(client):
    user = citizen()
    sign_in(client, user.email)
    return user


def test_dashboard_needs_a_signed_in_citizen(client, app):
    response = client.get("/sharing")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_dashboard_lists_each_organisation_with_modules_purpose_and_dates(client, app):
    """Each organisation with its modules, purpose, since when, until when, last access."""
    user = signed_in_citizen(client)
    rp = landlord_client()
    grant(user, rp, {"vault:tenancy:read"})
    page = client.get("/sharing").get_data(as_text=True)
    assert "Riverside Homes portal organisation" in page
    assert "To manage your tenancy" in page
    assert "Tenancy" in page or "tenancy" in page
    assert "Stop sharing" in page and "Not yet" in page


def test_dashboard_shows_revoked_and_expired_grants_as_history(client, app):
    """Plus expired and revoked grants as history."""
    user = signed_in_citizen(client)
    first = grant(user, landlord_client(), {"vault:tenancy:read"})
    services.revoke_grant(first)
    second = grant(user, landlord_client(name="Ashdown GP surgery"), {"vault:tenancy:read"})
    second.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    page = client.get("/sharing").get_data(as_text=True)
    history = page.split("Past sharing")[1]
    assert "You stopped it on" in history and "Expired on" in history


def test_revoke_button_ends_the_grant(client, app):
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"})
    url = f"/sharing/{recorded.id}/revoke"
    response = post_form(client, url, {})
    assert response.status_code == 302
    assert db.session.get(Grant, recorded.id).revoked_at is not None


def test_revoke_without_csrf_token_is_refused(client, app):
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"})
    assert client.post(f"/sharing/{recorded.id}/revoke").status_code == 400
    assert db.session.get(Grant, recorded.id).revoked_at is None


def test_another_citizens_grant_is_not_found(client, app):
    owner = citizen("owner@example.org")
    recorded = grant(owner, landlord_client(), {"vault:tenancy:read"})
    signed_in_citizen(client)
    assert client.get(f"/sharing/{recorded.id}").status_code == 404


def test_change_page_unticks_a_module(client, app):
    """Grants may be narrowed."""
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read", "vault:money:read"})
    page = f"/sharing/{recorded.id}"
    response = post_form(client, f"{page}/narrow", {"narrow-keep": ["vault:tenancy:read"]}, page_url=page)
    assert response.status_code == 302
    db.session.refresh(recorded)
    assert recorded.allows("tenancy", "read") and not recorded.allows("money", "read")


def test_extend_without_confirmation_shows_an_error(client, app):
    """Extended (with a fresh confirmation)."""
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"}, days=7)
    page = f"/sharing/{recorded.id}"
    response = post_form(client, f"{page}/extend", {"extend-days": "90"}, page_url=page)
    assert response.status_code == 400
    assert "Confirm that you want to keep sharing" in response.get_data(as_text=True)


def test_extend_with_confirmation_moves_the_end_date(client, app):
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"}, days=7)
    page = f"/sharing/{recorded.id}"
    response = post_form(client, f"{page}/extend", {"extend-days": "90", "extend-confirm": "y"}, page_url=page)
    assert response.status_code == 302
    db.session.refresh(recorded)
    assert recorded.expires_at - utcnow() > timedelta(days=89)


def test_citizen_downloads_a_receipt_that_verifies(client, app):
    """A receipt the citizen can download and a third party can verify against the published JWKS."""
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"})
    page = client.get(f"/sharing/{recorded.id}").get_data(as_text=True)
    link = page.split('href="/sharing/receipts/')[1].split('"')[0]
    response = client.get(f"/sharing/receipts/{link}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = verify_receipt(response.get_data(as_text=True), app.extensions["logbook_keyring"].public_jwks)
    assert body["grant"]["id"] == recorded.id


def test_who_has_seen_my_data_filters_by_organisation_and_module(client, app):
    """Filterable by organisation and module."""
    user = signed_in_citizen(client)
    landlord, gp = landlord_client(), landlord_client(name="Ashdown GP surgery")
    services.log_access(user.id, landlord, "tenancy", "read", grant_id=grant(user, landlord, {"vault:tenancy:read"}).id)
    services.log_access(user.id, gp, "money", "read", grant_id=grant(user, gp, {"vault:money:read"}).id)
    everything = client.get("/sharing/activity").get_data(as_text=True)
    assert "Riverside Homes portal organisation" in everything and "Ashdown GP surgery organisation" in everything
    only_gp = client.get(f"/sharing/activity?organisation={gp.organisation_id}").get_data(as_text=True)
    table = only_gp.split("<table")[1]
    assert "Ashdown GP surgery organisation" in table and "Riverside Homes portal organisation" not in table
    only_tenancy = client.get("/sharing/activity?module=tenancy").get_data(as_text=True).split("<table")[1]
    assert "Riverside Homes portal organisation" in only_tenancy and "Ashdown" not in only_tenancy


def test_unknown_module_in_the_change_form_is_a_400_with_an_error_summary(client, app):
    """Bad input gives a clear 4xx page naming the field, never a 500."""
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"})
    page = f"/sharing/{recorded.id}"
    response = post_form(client, f"{page}/narrow", {"narrow-keep": ["vault:health:write"]}, page_url=page)
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert recorded.allows("tenancy", "read")


def test_unknown_duration_is_a_400(client, app):
    user = signed_in_citizen(client)
    recorded = grant(user, landlord_client(), {"vault:tenancy:read"})
    page = f"/sharing/{recorded.id}"
    response = post_form(client, f"{page}/extend", {"extend-days": "9999", "extend-confirm": "y"}, page_url=page)
    assert response.status_code == 400


def test_receipt_of_another_citizen_is_not_found(client, app):
    from consent.models import Receipt

    grant(citizen("owner@example.org"), landlord_client(), {"vault:tenancy:read"})
    receipt = db.session.scalars(db.select(Receipt)).one()
    signed_in_citizen(client)
    assert client.get(f"/sharing/receipts/{receipt.id}").status_code == 404


def test_sharing_code_page_needs_a_signed_in_citizen_to_post(client, app):
    assert client.post("/sharing/code").status_code in (400, 401)


def test_dashboard_shows_when_the_organisation_last_looked(client, app):
    """Last access."""
    user = signed_in_citizen(client)
    rp = landlord_client()
    recorded = grant(user, rp, {"vault:tenancy:read"})
    event = services.log_access(user.id, rp, "tenancy", "read", grant_id=recorded.id)
    page = client.get("/sharing").get_data(as_text=True)
    assert "Not yet" not in page
    assert event.occurred_at.strftime("%-d %B %Y at %H:%M") in page
