"""The consent page inside /authorize: wording, module untick, duration, replay, prompt=none, and
revocation killing the refresh token."""

from __future__ import annotations

from consent import services
from consent.access_log import verify_chain
from consent.models import Grant
from idp.database import utcnow
from idp.extensions import db
from tests.builders import DEFAULT_PASSWORD
from tests.consent.helpers import LANDLORD_SCOPES
from tests.oauth.helpers import authorize, exchange, make_rp, redirect_params, refresh, signed_in_user
from tests.web_helpers import post_form, sign_in

ASKED = "openid vault:tenancy:read vault:money:read"


def landlord_rp():
    return make_rp(
        name="Riverside Homes portal",
        scope=LANDLORD_SCOPES + " offline_access",
        purpose="To manage your tenancy",
        allowed_modules=["tenancy", "money"],
        grant_types=["authorization_code", "refresh_token"],
    )


def consent_page(http, rp, scope=ASKED, **overrides):
    response = authorize(http, rp, scope=scope, **overrides)
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data(as_text=True)


def request_id_of(page):
    return page.split('name="request_id" value="')[1].split('"')[0]


def submit(http, page, scopes, decision="allow", duration=None):
    data = {"request_id": request_id_of(page), "scopes": scopes, "decision": decision}
    if duration:
        data["duration"] = duration
    data["csrf_token"] = csrf_token_from(page)
    return http.post("/authorize/consent", data=data)


def csrf_token_from(page):
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def follow_to_code(http, response):
    assert response.status_code == 302
    location = response.headers["Location"]
    return redirect_params(http.get(location[location.index("/authorize") :]))


def test_consent_page_names_organisation_purpose_modules_and_revocation(client, app):
    """The organisation's name and type, the purpose, each module in plain language, read or write, the
    duration, and that the citizen can revoke at any time."""
    signed_in_user(client)
    page = consent_page(client, landlord_rp())
    assert "Riverside Homes portal organisation" in page and "Landlord" in page
    assert "To manage your tenancy" in page
    assert "Your tenancy – they can see it" in page and "Your money – they can see it" in page
    assert "Your tenancy agreement, rent and landlord" in page  # the catalogue's plain-language description
    assert "For how long" in page and "3 months" in page
    assert "stop sharing at any time" in page


def test_unticked_module_is_not_granted_through_the_consent_page(client, app):
    """Module untick honoured: the citizen grants only tenancy."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp)
    params = follow_to_code(client, submit(client, page, ["vault:tenancy:read"]))
    assert "code" in params
    grant = services.live_grant(user.id, rp.client_id)
    assert grant.allows("tenancy", "read") and not grant.allows("money", "read")
    tokens = exchange(client, rp, params["code"]).get_json()
    assert "vault:money:read" not in tokens["scope"].split()


def test_shorter_duration_chosen_on_the_consent_page_is_kept(client, app):
    """The client proposes, the citizen may shorten."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp)
    submit(client, page, ["vault:tenancy:read"], duration="7")
    grant = services.live_grant(user.id, rp.client_id)
    assert (grant.expires_at - utcnow()).days < 7


def test_deny_returns_access_denied(client, app):
    """Deny returns access_denied."""
    signed_in_user(client)
    rp = landlord_rp()
    response = submit(client, consent_page(client, rp), [], decision="deny")
    assert redirect_params(response)["error"] == "access_denied"
    assert db.session.scalars(db.select(Grant)).first() is None


def test_replayed_consent_post_is_refused(client, app):
    """The consent POST is bound to that authorization request (it cannot be replayed)."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp)
    submit(client, page, ["vault:tenancy:read"])
    services.revoke_grant(services.live_grant(user.id, rp.client_id))
    replay = submit(client, page, ["vault:tenancy:read", "vault:money:read"])
    assert replay.status_code == 400
    assert services.live_grant(user.id, rp.client_id) is None


def test_prompt_none_with_consent_missing_returns_consent_required(client, app):
    """prompt=none with consent missing returns consent_required."""
    signed_in_user(client)
    response = authorize(client, landlord_rp(), scope=ASKED, prompt="none")
    assert redirect_params(response)["error"] == "consent_required"


def test_revoking_kills_the_refresh_token(client, app):
    """Revoke then a dead refresh token."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp, scope=ASKED + " offline_access")
    params = follow_to_code(client, submit(client, page, ["vault:tenancy:read", "offline_access"]))
    tokens = exchange(client, rp, params["code"]).get_json()
    assert "refresh_token" in tokens, tokens
    services.revoke_grant(services.live_grant(user.id, rp.client_id) or db.session.scalars(db.select(Grant)).one())
    response = refresh(client, rp, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def vault_read(http, access_token, module):
    return http.get(f"/api/v1/vault/modules/{module}/records", headers={"Authorization": f"Bearer {access_token}"})


def test_landlord_reads_tenancy_not_money_then_citizen_revokes(client, app):
    """A landlord's client asks for tenancy and money, the citizen grants only tenancy, the client reads
    tenancy, gets 403 on money, the citizen revokes, the client's next read fails."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp)
    params = follow_to_code(client, submit(client, page, ["vault:tenancy:read"]))
    access_token = exchange(client, rp, params["code"]).get_json()["access_token"]
    assert vault_read(client, access_token, "tenancy").status_code == 200
    assert vault_read(client, access_token, "money").status_code == 403
    grant = services.live_grant(user.id, rp.client_id)
    assert post_form(client, f"/sharing/{grant.id}/revoke", {}).status_code == 302
    after = vault_read(client, access_token, "tenancy")
    # The grant's tokens were revoked with it, so the token itself is no longer honoured (RFC 6750).
    assert after.status_code == 401 and 'error="invalid_token"' in after.headers["WWW-Authenticate"]
    assert verify_chain().ok and verify_chain().rows == 1


def test_consent_post_cannot_add_a_scope_the_request_did_not_ask_for(client, app):
    """The consent POST is bound to that authorization request: ticking a scope that was never asked (a
    tampered form) grants nothing more."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp)
    follow_to_code(client, submit(client, page, ["vault:tenancy:read", "vault:tenancy:write", "vault:money:write"]))
    grant = services.live_grant(user.id, rp.client_id)
    assert grant.granted == {"openid", "vault:tenancy:read"}


def test_consent_post_from_another_browser_is_refused(client, app):
    """The pending request lives in the browser's own session: another signed-in browser cannot answer it."""
    user = signed_in_user(client)
    rp = landlord_rp()
    page = consent_page(client, rp)
    other = app.test_client()
    sign_in(other, user.email, DEFAULT_PASSWORD)
    other_page = consent_page(other, rp)
    data = {"request_id": request_id_of(page), "scopes": ["vault:tenancy:read"], "decision": "allow"}
    response = other.post("/authorize/consent", data={**data, "csrf_token": csrf_token_from(other_page)})
    assert response.status_code == 400
    assert services.live_grant(user.id, rp.client_id) is None
