"""One live grant per citizen and client, however many consent decisions arrive at once (two browser tabs,
a double-clicked Allow, an access request approved while the consent page is answered)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from consent import services
from consent.models import Grant, GrantModule
from idp.database import utcnow
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD
from tests.consent.helpers import citizen, grant, landlord_client
from tests.consent.test_oauth_consent import consent_page, landlord_rp, submit
from tests.web_helpers import sign_in

ASKED = "openid vault:tenancy:read vault:money:read"


def live_grants(user_id, client_id):
    statement = db.select(Grant).where(Grant.user_id == user_id, Grant.client_id == client_id)
    return [g for g in db.session.scalars(statement.execution_options(populate_existing=True)) if g.is_live()]


def run_together(actions):
    """Start every action at the same moment, each on its own thread; the errors they raised."""
    barrier, errors = threading.Barrier(len(actions)), []

    def run(action):
        try:
            barrier.wait()
            action()
        except BaseException as error:  # noqa: BLE001  reported to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_consent_posts_leave_one_live_grant(app):
    """Four browsers of the same citizen answer the consent page for the same client at once."""
    user, rp = citizen(), landlord_rp()
    posts = []
    for _ in range(4):
        http = app.test_client()
        assert sign_in(http, user.email, DEFAULT_PASSWORD).status_code in (302, 303)
        page = consent_page(http, rp, scope=ASKED)
        posts.append(lambda http=http, page=page: submit(http, page, ["vault:tenancy:read"]))
    statuses = []
    errors = run_together([lambda post=post: statuses.append(post().status_code) for post in posts])
    assert errors == [] and statuses == [302] * 4
    (only,) = live_grants(user.id, rp.client_id)
    assert only.allows("tenancy", "read") and not only.allows("money", "read")
    assert db.session.scalar(db.select(db.func.count()).select_from(GrantModule)) == 1


def test_concurrent_decisions_through_the_service_leave_one_live_grant(app):
    user, client = citizen(), landlord_client()
    user_id, client_id = user.id, client.client_id

    def decide(scope):
        def action():
            with app.app_context():
                try:
                    from clients.services import get_client
                    from idp.accounts.models import User

                    me, them = db.session.get(User, user_id), get_client(client_id)
                    prompt = services.missing_consent(me, them, {scope})
                    if prompt is not None:
                        services.record_consent(me, them, prompt.decide({scope}))
                finally:
                    db.session.remove()

        return action

    errors = run_together([decide("vault:tenancy:read"), decide("vault:money:read")] * 3)
    assert errors == []
    (only,) = live_grants(user_id, client_id)
    # Decisions queue on the live grant instead of overwriting each other: both modules are granted.
    assert only.allows("tenancy", "read") and only.allows("money", "read")


def test_database_refuses_a_second_live_grant_for_the_same_citizen_and_client(app):
    user, client = citizen(), landlord_client()
    grant(user, client, {"vault:tenancy:read"})
    db.session.add(Grant(user_id=user.id, client_id=client.client_id, expires_at=utcnow() + timedelta(days=1)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_new_consent_after_revocation_starts_a_new_grant(app):
    user, client = citizen(), landlord_client()
    first = grant(user, client, {"vault:tenancy:read"})
    services.revoke_grant(first)
    second = grant(user, client, {"vault:tenancy:read"})
    assert second.id != first.id and second.is_live() and first.status == "revoked"


def test_new_consent_after_expiry_starts_a_new_grant(app):
    user, client = citizen(), landlord_client()
    first = grant(user, client, {"vault:tenancy:read"})
    first.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    second = grant(user, client, {"vault:tenancy:read"})
    assert second.id != first.id and second.is_live() and first.status == "expired"
