"""Grants: per module read/write, purpose, expiry, narrowing, extending, revoking (DESIGN.md, Consent)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consent import services
from consent.models import Receipt
from idp.database import utcnow
from idp.extensions import db
from tests.consent.helpers import citizen, grant, landlord_client


def test_consent_is_missing_for_vault_scopes_never_decided(app):
    """The authorization endpoint shows a consent page when a partner client asks for vault scopes."""
    user, client = citizen(), landlord_client()
    prompt = services.missing_consent(user, client, {"openid", "vault:tenancy:read"})
    assert prompt is not None
    assert prompt.missing == {"openid", "vault:tenancy:read"}
    assert prompt.modules == {"tenancy": {"read"}}
    assert prompt.purpose == "To manage your tenancy"


def test_only_undecided_scopes_are_asked_again(app):
    """A Grant holds granted and rejected scopes so that the endpoint only asks for what is missing."""
    user, client = citizen(), landlord_client()
    prompt = services.missing_consent(user, client, {"openid", "vault:tenancy:read", "vault:money:read"})
    services.record_consent(user, client, prompt.decide({"openid", "vault:tenancy:read"}))
    assert services.missing_consent(user, client, {"openid", "vault:tenancy:read", "vault:money:read"}) is None
    again = services.missing_consent(user, client, {"openid", "vault:tenancy:write"})
    assert again.missing == {"vault:tenancy:write"}


def test_unticked_module_is_not_granted(app):
    """Grants are per module: the consent screen lets the citizen untick modules the client asked for."""
    user, client = citizen(), landlord_client()
    prompt = services.missing_consent(user, client, {"vault:tenancy:read", "vault:money:read"})
    recorded = services.record_consent(user, client, prompt.decide({"vault:tenancy:read"}))
    assert recorded.allows("tenancy", "read")
    assert not recorded.allows("money", "read")
    assert "vault:money:read" in recorded.rejected


def test_read_grant_does_not_allow_write(app):
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    assert recorded.allows("tenancy", "read") and not recorded.allows("tenancy", "write")


def test_authorization_details_ask_for_the_same_modules_as_scopes(app):
    """RFC 9396 authorization_details of type logbook_vault naming modules and actions."""
    user, client = citizen(), landlord_client()
    details = [{"type": "logbook_vault", "modules": ["tenancy"], "actions": ["read", "write"]}]
    prompt = services.missing_consent(user, client, {"openid"}, details)
    assert prompt.modules == {"tenancy": {"read", "write"}}


def test_first_party_service_needs_no_consent_to_sign_in(app):
    """First-party council services signing a citizen in skip the consent page for openid/profile."""
    user = citizen()
    client = landlord_client(organisation_type="council_service")
    assert services.missing_consent(user, client, {"openid", "profile"}) is None
    assert services.missing_consent(user, client, {"openid", "vault:tenancy:read"}) is not None


def test_default_expiry_is_ninety_days(app):
    """Default 90 days."""
    recorded = grant(citizen(), landlord_client(), {"vault:tenancy:read"})
    assert timedelta(days=89) < recorded.expires_at - utcnow() <= timedelta(days=90)


def test_client_proposal_is_capped_at_a_year(app):
    """The client proposes, the citizen may shorten; at most 1 year."""
    user, client = citizen(), landlord_client()
    details = [{"type": "logbook_vault", "modules": ["tenancy"], "actions": ["read"], "duration_days": 1000}]
    assert services.missing_consent(user, client, set(), details).proposed_days == 365


def test_citizen_may_shorten_the_duration(app):
    recorded = grant(citizen(), landlord_client(), {"vault:tenancy:read"}, days=7)
    assert recorded.expires_at - utcnow() <= timedelta(days=7)


def test_duration_over_a_year_is_refused(app):
    user, client = citizen(), landlord_client()
    prompt = services.missing_consent(user, client, {"vault:tenancy:read"})
    with pytest.raises(services.InvalidConsent):
        services.record_consent(user, client, prompt.decide({"vault:tenancy:read"}, 400))


def test_expired_grant_is_not_live(app):
    """An expired grant is refused."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    recorded.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.live_grant(user.id, client.client_id) is None


def test_narrowing_drops_a_module(app):
    """Grants may be narrowed at any time."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read", "vault:money:read"})
    services.narrow_grant(recorded, {"vault:tenancy:read"})
    assert not recorded.allows("money", "read") and recorded.allows("tenancy", "read")


def test_narrowing_cannot_lengthen(app):
    recorded = grant(citizen(), landlord_client(), {"vault:tenancy:read"})
    with pytest.raises(services.InvalidConsent):
        services.narrow_grant(recorded, {"vault:tenancy:read"}, until=recorded.expires_at + timedelta(days=1))


def test_extending_needs_a_fresh_confirmation(app):
    """Grants may be extended (with a fresh confirmation)."""
    recorded = grant(citizen(), landlord_client(), {"vault:tenancy:read"}, days=7)
    with pytest.raises(services.InvalidConsent):
        services.extend_grant(recorded, 90, confirmed=False)
    services.extend_grant(recorded, 90, confirmed=True)
    assert recorded.expires_at - utcnow() > timedelta(days=89)


def test_revoked_grant_is_no_longer_live(app):
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    services.revoke_grant(recorded)
    assert services.live_grant(user.id, client.client_id) is None
    assert recorded.status == "revoked"


def test_every_change_issues_a_receipt(app):
    """Every grant, change and revocation produces a receipt."""
    recorded = grant(citizen(), landlord_client(), {"vault:tenancy:read", "vault:money:read"})
    services.narrow_grant(recorded, {"vault:tenancy:read"})
    services.extend_grant(recorded, 365, confirmed=True)
    services.revoke_grant(recorded)
    events = [r.event for r in db.session.scalars(db.select(Receipt).order_by(Receipt.created_at))]
    assert events == ["granted", "narrowed", "extended", "revoked"]


def test_modules_outside_the_clients_registration_are_never_offered(app):
    """The purpose and modules come from the client's registration."""
    user, client = citizen(), landlord_client(allowed_modules=["tenancy"])
    prompt = services.missing_consent(user, client, {"vault:tenancy:read", "vault:money:read"})
    assert prompt.missing == {"vault:tenancy:read"}


def test_choosing_a_shorter_time_on_the_change_page_shortens_the_grant(app):
    """The citizen may shorten."""
    recorded = grant(citizen(), landlord_client(), {"vault:tenancy:read"})
    services.extend_grant(recorded, 7, confirmed=True)
    assert recorded.expires_at - utcnow() <= timedelta(days=7)
    assert db.session.scalars(db.select(Receipt).order_by(Receipt.created_at)).all()[-1].event == "narrowed"
