"""Access requests: an organisation's client asks by API for a citizen's modules; the citizen approves
or declines in their inbox; requests expire; sharing codes work once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from consent import access_requests
from consent.models import AccessRequest, Grant
from consent.notifications import wait_for_deliveries
from idp.database import utcnow
from idp.extensions import db
from idp.oauth2.access_tokens import issue_access_token
from idp.oauth2.subjects import subject_for
from tests.consent.conftest import Receiver
from tests.consent.helpers import citizen, landlord_client
from tests.web_helpers import messages, post_form, sign_in

API = "/api/v1/access-requests"


def client_token(client, scopes=("access_requests",)):
    return issue_access_token(client.client_id, client.client_id, set(scopes)).token


def ask(http, rp, **body):
    body.setdefault("modules", {"tenancy": ["read"]})
    return http.post(API, json=body, headers={"Authorization": f"Bearer {client_token(rp)}"})


def test_request_by_pairwise_subject_lands_in_the_citizens_inbox(client, app, outbox):
    """The request appears in the citizen's inbox with a notification through the outbox."""
    user, rp = citizen(), landlord_client()
    response = ask(client, rp, subject=subject_for(user, rp))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "pending"
    assert any("asked to see your information" in m["Subject"] for m in messages(outbox))
    sign_in(client, user.email)
    inbox = client.get("/sharing/requests").get_data(as_text=True)
    assert "Waiting for you" in inbox


def test_request_without_a_token_is_401(client, app):
    response = client.post(API, json={"modules": {"tenancy": ["read"]}, "subject": "x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_user_token_cannot_make_requests(client, app):
    """Client credentials only: a token acting for a citizen is refused."""
    user, rp = citizen(), landlord_client()
    token = issue_access_token(rp.client_id, "sub", {"access_requests"}, user_id=user.id).token
    body = {"modules": {"tenancy": ["read"]}, "subject": subject_for(user, rp)}
    response = client.post(API, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_unknown_subject_is_a_clear_404(client, app):
    response = ask(client, landlord_client(), subject="nobody-we-know")
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_citizen"


def test_module_outside_the_clients_registration_is_refused(client, app):
    user, rp = citizen(), landlord_client()
    response = ask(client, rp, subject=subject_for(user, rp), modules={"health": ["read"]})
    assert response.status_code == 400
    assert "health" in response.get_json()["error_description"]
    assert db.session.scalars(db.select(AccessRequest)).first() is None


def test_subject_and_sharing_code_together_are_refused(client, app):
    user, rp = citizen(), landlord_client()
    response = ask(client, rp, subject=subject_for(user, rp), sharing_code="ABCD-EFGH-JKMN")
    assert response.status_code == 400


def test_malformed_body_is_400_not_500(client, app):
    rp = landlord_client()
    response = client.post(API, data="not json", headers={"Authorization": f"Bearer {client_token(rp)}"})
    assert response.status_code == 400


def test_sharing_code_identifies_the_citizen_once(client, app):
    """A one-time sharing code the citizen generated on a page: single use."""
    user, rp = citizen(), landlord_client()
    sign_in(client, user.email)
    page = post_form(client, "/sharing/code", {}).get_data(as_text=True)
    code = page.split('govuk-!-font-size-36">')[1].split("<")[0]
    assert ask(client, rp, sharing_code=code).status_code == 201
    again = ask(client, rp, sharing_code=code)
    assert again.status_code == 404
    assert "already used" in again.get_json()["error_description"]


def test_expired_sharing_code_is_refused(client, app):
    user, rp = citizen(), landlord_client()
    code = access_requests.create_sharing_code(user)
    db.session.execute(db.update(access_requests.SharingCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert ask(client, rp, sharing_code=code).status_code == 404


def make_request(client, rp, user, modules=None):
    response = ask(client, rp, subject=subject_for(user, rp), modules=modules or {"tenancy": ["read"]})
    return response.get_json()


def status_of(client, rp, request_id):
    return client.get(f"{API}/{request_id}", headers={"Authorization": f"Bearer {client_token(rp)}"})


def test_approve_creates_an_access_request_grant(client, app):
    """Approve creates a grant (method access_request)."""
    user, rp = citizen(), landlord_client()
    created = make_request(client, rp, user, {"tenancy": ["read"], "money": ["read"]})
    sign_in(client, user.email)
    url = f"/sharing/requests/{created['id']}"
    response = post_form(client, url, {"modules": ["vault:tenancy:read"], "decision": "approve"})
    assert response.status_code == 302
    grant = db.session.scalars(db.select(Grant)).one()
    assert grant.method == "access_request"
    assert grant.allows("tenancy", "read") and not grant.allows("money", "read")
    polled = status_of(client, rp, created["id"]).get_json()
    assert polled["status"] == "approved" and polled["grant_id"] == grant.id


def test_decline_tells_the_client(client, app):
    """Decline tells the client (status endpoint the client polls)."""
    user, rp = citizen(), landlord_client()
    created = make_request(client, rp, user)
    sign_in(client, user.email)
    post_form(client, f"/sharing/requests/{created['id']}", {"decision": "decline"})
    assert status_of(client, rp, created["id"]).get_json()["status"] == "declined"
    assert db.session.scalars(db.select(Grant)).first() is None


def test_requests_expire(client, app):
    """Requests expire."""
    user, rp = citizen(), landlord_client()
    created = make_request(client, rp, user)
    request = db.session.get(AccessRequest, created["id"])
    request.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert status_of(client, rp, created["id"]).get_json()["status"] == "expired"
    with pytest.raises(access_requests.Conflict):
        access_requests.approve(db.session.get(AccessRequest, created["id"]), user)


def test_expired_request_cannot_be_approved_from_the_page(client, app):
    user, rp = citizen(), landlord_client()
    created = make_request(client, rp, user)
    sign_in(client, user.email)
    url = f"/sharing/requests/{created['id']}"
    token_page = "/sharing/code"  # the expired request's page has no form; the CSRF token is per session
    request = db.session.get(AccessRequest, created["id"])
    request.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = post_form(client, url, {"modules": ["vault:tenancy:read"], "decision": "approve"}, page_url=token_page)
    assert "has expired" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Grant)).first() is None


def test_another_client_cannot_poll_the_request(client, app):
    user, rp = citizen(), landlord_client()
    created = make_request(client, rp, user)
    other = landlord_client(name="Someone else")
    assert status_of(client, other, created["id"]).status_code == 404


def test_decline_is_posted_to_the_clients_notification_uri(client, app, receiver):
    """Decline tells the client (... and the notification URI if registered)."""
    user, rp = citizen(), landlord_client(backchannel_logout_uri=receiver)
    created = make_request(client, rp, user)
    sign_in(client, user.email)
    post_form(client, f"/sharing/requests/{created['id']}", {"decision": "decline"})
    wait_for_deliveries()
    assert len(Receiver.received) == 1 and "logout_token" in Receiver.received[0]


def test_second_request_while_one_is_pending_is_a_conflict(client, app):
    user, rp = citizen(), landlord_client()
    make_request(client, rp, user)
    again = ask(client, rp, subject=subject_for(user, rp))
    assert again.status_code == 409


def test_approving_with_nothing_ticked_is_a_400_and_nothing_is_shared(client, app):
    user, rp = citizen(), landlord_client()
    created = make_request(client, rp, user)
    sign_in(client, user.email)
    response = post_form(client, f"/sharing/requests/{created['id']}", {"decision": "approve"})
    assert response.status_code == 400
    assert "Choose at least one" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Grant)).first() is None


def test_sharing_code_is_spent_once_under_concurrent_redemption(app):
    """A one-time sharing code: however many requests arrive at once, one of them gets the citizen."""
    user, rp = citizen(), landlord_client()
    code, client_id = access_requests.create_sharing_code(user), rp.client_id
    outcomes: list[str] = []

    def redeem() -> None:
        with app.app_context():
            try:
                access_requests.redeem_sharing_code(code, client_id)
                db.session.commit()
                outcomes.append("ok")
            except access_requests.UnknownCitizen:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
