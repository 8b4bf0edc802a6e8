"""A refresh never outlives the consent behind it: after the citizen narrows a grant, or it expires or is
revoked, the refreshed access token carries only the vault scopes still granted (or none at all)."""

from __future__ import annotations

from datetime import timedelta

from consent import services
from idp.database import utcnow
from idp.extensions import db
from tests.consent.test_oauth_consent import consent_page, follow_to_code, landlord_rp, submit
from tests.oauth.helpers import exchange, refresh, signed_in_user

BOTH = ["vault:tenancy:read", "vault:money:read", "offline_access"]
TENANCY = ["vault:tenancy:read", "offline_access"]


def tokens_for(http, rp, scope, ticked):
    page = consent_page(http, rp, scope=scope)
    response = exchange(http, rp, follow_to_code(http, submit(http, page, ticked))["code"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refreshed(http, rp, tokens):
    response = refresh(http, rp, tokens["refresh_token"])
    return response.status_code, response.get_json()


def expire(grant):
    grant.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_refresh_after_narrowing_carries_only_the_remaining_module(client, app):
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "openid vault:tenancy:read vault:money:read offline_access", BOTH)
    services.narrow_grant(services.live_grant(user.id, rp.client_id), ["vault:tenancy:read"])
    status, body = refreshed(client, rp, tokens)
    assert status == 200
    assert set(body["scope"].split()) == {"openid", "offline_access", "vault:tenancy:read"}
    assert body["authorization_details"] == [{"type": "logbook_vault", "modules": ["tenancy"], "actions": ["read"]}]


def test_narrowed_module_stays_out_of_later_refreshes(client, app):
    """The narrowing is not forgotten on the next rotation either."""
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "openid vault:tenancy:read vault:money:read offline_access", BOTH)
    services.narrow_grant(services.live_grant(user.id, rp.client_id), ["vault:tenancy:read"])
    _, first = refreshed(client, rp, tokens)
    status, second = refreshed(client, rp, first)
    assert status == 200 and "vault:money:read" not in second["scope"].split()


def test_refresh_after_the_grant_expired_drops_the_vault_scopes(client, app):
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "openid vault:tenancy:read offline_access", TENANCY)
    expire(services.live_grant(user.id, rp.client_id))
    status, body = refreshed(client, rp, tokens)
    assert status == 200
    assert set(body["scope"].split()) == {"openid", "offline_access"}
    assert "authorization_details" not in body


def test_vault_only_refresh_token_is_invalid_grant_once_the_grant_expired(client, app):
    """Nothing the token was for is still shared: RFC 6749 section 5.2 invalid_grant."""
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "vault:tenancy:read offline_access", TENANCY)
    expire(services.live_grant(user.id, rp.client_id))
    status, body = refreshed(client, rp, tokens)
    assert status == 400 and body["error"] == "invalid_grant"


def test_vault_only_refresh_token_is_invalid_grant_once_every_module_is_unticked(client, app):
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "vault:tenancy:read offline_access", TENANCY)
    services.narrow_grant(services.live_grant(user.id, rp.client_id), [])
    status, body = refreshed(client, rp, tokens)
    assert status == 400 and body["error"] == "invalid_grant"


def test_refresh_after_revocation_is_invalid_grant_even_with_other_scopes(client, app):
    """Revocation kills the grant's whole token family, identity scopes included."""
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "openid vault:tenancy:read offline_access", TENANCY)
    services.revoke_grant(services.live_grant(user.id, rp.client_id))
    status, body = refreshed(client, rp, tokens)
    assert status == 400 and body["error"] == "invalid_grant"


def test_refresh_under_an_unchanged_grant_keeps_every_scope(client, app):
    rp = landlord_rp()
    signed_in_user(client)
    tokens = tokens_for(client, rp, "openid vault:tenancy:read vault:money:read offline_access", BOTH)
    status, body = refreshed(client, rp, tokens)
    assert status == 200 and set(body["scope"].split()) == set(tokens["scope"].split())


def introspected(http, rp, tokens):
    data = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    return http.post("/oauth2/introspect", data=data, auth=rp.basic).get_json()


def test_introspecting_a_refresh_token_after_narrowing_shows_what_a_refresh_would_get_now(client, app):
    """RFC 7662 section 2.2: scope is what the token can be used for; here what a refresh now returns."""
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "openid vault:tenancy:read vault:money:read offline_access", BOTH)
    services.narrow_grant(services.live_grant(user.id, rp.client_id), ["vault:tenancy:read"])
    body = introspected(client, rp, tokens)
    assert body["active"] is True
    assert set(body["scope"].split()) == {"openid", "offline_access", "vault:tenancy:read"}
    assert body["authorization_details"] == [{"type": "logbook_vault", "modules": ["tenancy"], "actions": ["read"]}]
    _, refreshed_body = refreshed(client, rp, tokens)
    assert set(refreshed_body["scope"].split()) == set(body["scope"].split())


def test_introspecting_a_vault_only_refresh_token_whose_sharing_ended_says_inactive(client, app):
    """A refresh would be invalid_grant, so the token is not active (RFC 7662 section 2.2)."""
    user = signed_in_user(client)
    rp = landlord_rp()
    tokens = tokens_for(client, rp, "vault:tenancy:read offline_access", TENANCY)
    services.narrow_grant(services.live_grant(user.id, rp.client_id), [])
    assert introspected(client, rp, tokens) == {"active": False}


def test_introspecting_under_an_unchanged_grant_shows_the_original_scope(client, app):
    rp = landlord_rp()
    signed_in_user(client)
    tokens = tokens_for(client, rp, "openid vault:tenancy:read vault:money:read offline_access", BOTH)
    assert set(introspected(client, rp, tokens)["scope"].split()) == set(tokens["scope"].split())
