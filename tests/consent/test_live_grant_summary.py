"""The authorization endpoint's one read of the live grant (``services.live_grant_summary``): the same grant
as ``live_grant``, as a small value."""

from __future__ import annotations

from datetime import timedelta

from consent import services
from idp.database import utcnow
from idp.extensions import db
from tests.consent.helpers import citizen, grant, landlord_client


def test_summary_is_the_live_grant_with_what_the_citizen_decided(app):
    user, client = citizen(), landlord_client()
    prompt = services.missing_consent(user, client, {"openid", "vault:tenancy:read", "vault:money:read"})
    services.record_consent(user, client, prompt.decide({"openid", "vault:tenancy:read"}, step_up=True))
    live = services.live_grant(user.id, client.client_id)
    summary = services.live_grant_summary(user.id, client.client_id)
    assert summary is not None and live is not None
    assert summary.id == live.id
    assert summary.granted == {"openid", "vault:tenancy:read"}
    assert summary.rejected == {"vault:money:read"}
    assert summary.asks_for_step_up


def test_summary_is_none_once_the_grant_has_expired(app):
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    recorded.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.live_grant_summary(user.id, client.client_id) is None


def test_summary_is_none_once_the_grant_is_revoked(app):
    user, client = citizen(), landlord_client()
    services.revoke_grant(grant(user, client, {"vault:tenancy:read"}))
    assert services.live_grant_summary(user.id, client.client_id) is None


def test_a_decision_already_read_is_not_read_again(app):
    """The consent check and the code take the grant the endpoint read once; ``grant=None`` means none."""
    user, client = citizen(), landlord_client()
    grant(user, client, {"vault:tenancy:read"})
    assert services.missing_consent(user, client, {"vault:tenancy:read"}) is None
    assert services.missing_consent(user, client, {"vault:tenancy:read"}, grant=None) is not None
    assert services.effective_scopes(user, client, {"vault:tenancy:read"}, grant=None) == frozenset()
