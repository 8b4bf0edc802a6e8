"""Revocation is immediate: the live grant is checked on every vault call, the grant's tokens are
revoked, and the client's back-channel URI is told (best effort, failures recorded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from consent import services
from consent.models import ClientNotification
from consent.notifications import EVENT_GRANT_REVOKED, wait_for_deliveries
from idp.database import utcnow
from idp.extensions import db
from idp.oauth2.access_tokens import InvalidAccessToken, issue_access_token, vault_audience, verify_access_token
from idp.oauth2.models import TokenFamily
from tests.consent.conftest import Receiver
from tests.consent.helpers import citizen, grant, landlord_client


def token_under(recorded, client, user):
    """An access token issued under the grant, in a token family as the token endpoint makes them."""
    family = TokenFamily(client_id=client.client_id, user_id=user.id, scope="vault:tenancy:read", grant_id=recorded.id)
    db.session.add(family)
    db.session.commit()
    issued = issue_access_token(
        client.client_id, "sub", {"vault:tenancy:read"}, user_id=user.id, grant_id=recorded.id, family_id=family.id
    )
    return issued.token


def test_vault_access_allowed_under_a_live_grant(app):
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    claims = verify_access_token(token_under(recorded, client, user), vault_audience())
    assert services.grant_allows(claims, "tenancy", "read")


def test_unticked_module_is_refused(app):
    """Module untick honoured: a module the citizen unticked is refused even with the scope in the token."""
    user, client = citizen(), landlord_client()
    prompt = services.missing_consent(user, client, {"vault:tenancy:read", "vault:money:read"})
    recorded = services.record_consent(user, client, prompt.decide({"vault:tenancy:read"}))
    claims = verify_access_token(token_under(recorded, client, user), vault_audience())
    assert not services.grant_allows(claims, "money", "read")


def test_revoked_grant_is_refused_on_the_next_check(app):
    """Revocation is immediate: the vault API checks the live grant on every call."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    token = token_under(recorded, client, user)
    claims = verify_access_token(token, vault_audience())
    services.revoke_grant(recorded)
    assert not services.grant_allows(claims, "tenancy", "read")


def test_revoking_revokes_the_grants_tokens(app):
    """The grant's access and refresh tokens are revoked."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    token = token_under(recorded, client, user)
    services.revoke_grant(recorded)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(token, vault_audience())
    family = db.session.scalars(db.select(TokenFamily).where(TokenFamily.grant_id == recorded.id)).one()
    assert family.revoked_at is not None


def test_expired_grant_is_refused(app):
    """Expired grant refused."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    claims = verify_access_token(token_under(recorded, client, user), vault_audience())
    recorded.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not services.grant_allows(claims, "tenancy", "read")


def test_grant_of_another_client_does_not_count(app):
    user, client, other = citizen(), landlord_client(), landlord_client(name="Other")
    recorded = grant(user, client, {"vault:tenancy:read"})
    issued = issue_access_token(other.client_id, "sub", {"vault:tenancy:read"}, user_id=user.id, grant_id=recorded.id)
    claims = verify_access_token(issued.token, vault_audience())
    assert not services.grant_allows(claims, "tenancy", "read")


def test_client_is_told_of_revocation_with_a_signed_token(app, receiver):
    """If the client registered a back-channel logout or notification URI, it is told."""
    user, client = citizen(), landlord_client(backchannel_logout_uri=receiver)
    recorded = grant(user, client, {"vault:tenancy:read"})
    services.revoke_grant(recorded)
    wait_for_deliveries()
    assert len(Receiver.received) == 1
    token = Receiver.received[0]["logout_token"][0]
    keys = KeySet.import_key_set(app.extensions["logbook_keyring"].public_jwks)
    claims = jwt.decode(token, keys).claims
    assert claims["aud"] == client.client_id
    assert claims["events"][EVENT_GRANT_REVOKED]["grant_id"] == recorded.id


def test_unreachable_client_does_not_stop_the_revocation(app):
    """Best effort with timeout, failures recorded, never blocking the citizen."""
    user, client = citizen(), landlord_client(backchannel_logout_uri="http://127.0.0.1:9/nothing-listens")
    recorded = grant(user, client, {"vault:tenancy:read"})
    services.revoke_grant(recorded)
    assert recorded.revoked_at is not None
    wait_for_deliveries()
    db.session.expire_all()
    failure = db.session.scalars(db.select(ClientNotification)).one()
    assert failure.error and failure.status_code is None


def vault_status(http, token, module="tenancy"):
    return http.get(f"/api/v1/vault/modules/{module}/records", headers={"Authorization": f"Bearer {token}"})


def test_expired_grant_is_refused_by_the_vault_api(app, client):
    """Expired grant refused: the vault API checks the live grant on every call."""
    user, rp = citizen(), landlord_client()
    recorded = grant(user, rp, {"vault:tenancy:read"})
    token = token_under(recorded, rp, user)
    assert vault_status(client, token).status_code == 200
    recorded.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = vault_status(client, token)
    assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope"


def test_revoked_grant_is_refused_by_the_vault_api_even_while_its_token_is_live(app, client):
    """Revoke then immediate 403: the vault checks the live grant itself, so the call is refused even in
    the moment before the grant's tokens are revoked (revoke_grant commits the grant first)."""
    user, rp = citizen(), landlord_client()
    recorded = grant(user, rp, {"vault:tenancy:read"})
    token = token_under(recorded, rp, user)
    assert vault_status(client, token).status_code == 200
    recorded.revoked_at = utcnow()  # as revoke_grant does first; the token family is still live here
    db.session.commit()
    response = vault_status(client, token)
    assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope"


def test_narrowed_grant_is_refused_on_the_next_vault_call(app, client):
    """Narrowing bites at once, even for a token that still carries the scope."""
    user, rp = citizen(), landlord_client()
    recorded = grant(user, rp, {"vault:tenancy:read", "vault:money:read"})
    family = TokenFamily(client_id=rp.client_id, user_id=user.id, scope="", grant_id=recorded.id)
    db.session.add(family)
    db.session.commit()
    scopes = {"vault:tenancy:read", "vault:money:read"}
    token = issue_access_token(
        rp.client_id, "sub", scopes, user_id=user.id, grant_id=recorded.id, family_id=family.id
    ).token
    assert vault_status(client, token, "money").status_code == 200
    services.narrow_grant(recorded, {"vault:tenancy:read"})
    assert vault_status(client, token, "money").status_code == 403
    assert vault_status(client, token, "tenancy").status_code == 200


def test_a_slow_client_does_not_hold_up_the_revocation(app, receiver):
    """Best effort, never blocking the citizen: revoking returns while the client has not yet answered."""
    user, client = citizen(), landlord_client(backchannel_logout_uri=receiver)
    recorded = grant(user, client, {"vault:tenancy:read"})
    Receiver.release.clear()
    services.revoke_grant(recorded)
    notification = db.session.scalars(db.select(ClientNotification)).one()
    assert recorded.revoked_at is not None and notification.status_code is None
    Receiver.release.set()
    wait_for_deliveries()
    db.session.expire_all()
    assert db.session.scalars(db.select(ClientNotification)).one().status_code == 200
