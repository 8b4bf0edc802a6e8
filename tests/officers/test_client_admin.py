"""Client administrators register and manage organisations and clients on the web."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from joserfc.jwk import ECKey

from clients.models import Client, Organisation
from clients.services import create_organisation, find_client
from idp.audit import AuditEvent
from idp.database import utcnow
from idp.extensions import db
from tests.builders import create_client
from tests.officers.helpers import signed_in_as
from tests.web_helpers import post_form

GOOD = {
    "name": "Housing repairs portal",
    "purpose": "To book repairs to your home",
    "redirect_uris": "https://repairs.example.org/callback",
    "post_logout_redirect_uris": "https://repairs.example.org/signed-out",
    "scope": "profile email vault:tenancy:read",
    "allowed_modules": ["tenancy"],
    "auth_method": "client_secret_basic",
    "min_acr": "urn:logbook:acr:two-factor",
    "min_identity_level": "",
    "max_auth_age": "900",
    "logo_uri": "https://repairs.example.org/logo.png",
    "contact": "it@repairs.example.org",
}


@pytest.fixture
def organisation(client: FlaskClient) -> Organisation:
    signed_in_as(client, "client_admin")
    return create_organisation("Riverside Homes", "landlord")


def _register(client: FlaskClient, organisation: Organisation, **changes: object):  # type: ignore[no-untyped-def]
    url = f"/admin/organisations/{organisation.id}/clients/new"
    return post_form(client, url, {**GOOD, **changes})


def _secret(page: str) -> str:
    match = re.search(r'<code id="client-secret">([^<]+)</code>', page)
    assert match, "no secret on the page"
    return match.group(1)


def test_an_organisation_is_added_with_its_type(client: FlaskClient) -> None:
    signed_in_as(client, "client_admin")
    response = post_form(client, "/admin/organisations/new", {"name": "Oak Lane Surgery", "type": "gp_practice"})
    assert response.status_code == 302
    assert db.session.query(Organisation).filter_by(name="Oak Lane Surgery", type="gp_practice").count() == 1


def test_a_client_is_registered_with_its_metadata_and_policy(client: FlaskClient, organisation: Organisation) -> None:
    """Registration records type, purpose text, allowed modules, redirect and post-logout URIs, policy
    (minimum levels, maximum authentication age), logo and contact."""
    response = _register(client, organisation)
    assert response.status_code == 200
    registered = db.session.query(Client).filter_by(name="Housing repairs portal").one()
    assert registered.organisation_id == organisation.id
    assert registered.redirect_uris == ["https://repairs.example.org/callback"]
    assert registered.post_logout_redirect_uris == ["https://repairs.example.org/signed-out"]
    assert registered.allowed_modules == ["tenancy"]
    assert (registered.min_acr, registered.max_auth_age) == ("urn:logbook:acr:two-factor", 900)
    assert registered.logo_uri == "https://repairs.example.org/logo.png"
    assert registered.contacts == ["it@repairs.example.org"]
    assert registered.purpose == "To book repairs to your home"


def test_the_secret_is_shown_once_and_stored_hashed(client: FlaskClient, organisation: Organisation) -> None:
    """Client secrets shown once and stored hashed."""
    secret = _secret(_register(client, organisation).get_data(as_text=True))
    registered = db.session.query(Client).filter_by(name="Housing repairs portal").one()
    assert registered.verify_secret(secret)
    assert secret not in (registered.secret_digest or "")
    assert secret not in client.get(f"/admin/clients/{registered.client_id}").get_data(as_text=True)


LABELS = {"redirect_uris": "Redirect URIs", "post_logout_redirect_uris": "Post-logout redirect URIs"}
NOT_HTTPS = " must use https (http only on a loopback address)"
NO_FRAGMENTS = ": redirect URIs may not contain wildcards or fragments"


@pytest.mark.parametrize(
    ("field", "uri", "reason"),
    [
        ("redirect_uris", "http://repairs.example.org/callback", NOT_HTTPS),
        ("redirect_uris", "https://repairs.example.org/callback#top", NO_FRAGMENTS),
        ("redirect_uris", "https://*.example.org/callback", NO_FRAGMENTS),
        ("redirect_uris", "/callback", " must be an absolute URL with a host"),
        ("redirect_uris", "javascript:alert(1)", " must be an absolute URL with a host"),
        ("redirect_uris", "com.example.repairs:/callback", " must be an absolute URL with a host"),
        ("redirect_uris", "ftp://repairs.example.org/callback", NOT_HTTPS),
        ("redirect_uris", "http://localhost.repairs.example.org/callback", NOT_HTTPS),
        ("redirect_uris", "https://[::1/callback", " is not a valid URL"),
        ("redirect_uris", "https://repairs.example.org/call back", " may not contain spaces"),
        ("redirect_uris", "https://jo:secret@repairs.example.org/callback", " may not contain a user name or password"),
        ("post_logout_redirect_uris", "http://repairs.example.org/bye", NOT_HTTPS),
        ("post_logout_redirect_uris", "https://*.example.org/bye", NO_FRAGMENTS),
        ("post_logout_redirect_uris", "https://repairs.example.org/bye#x", NO_FRAGMENTS),
    ],
)
def test_each_bad_uri_is_refused_with_a_message_naming_the_field(
    client: FlaskClient, organisation: Organisation, field: str, uri: str, reason: str
) -> None:
    """Redirect and post-logout URIs validated: https only except loopback, no fragments, no wildcards."""
    response = _register(client, organisation, **{field: uri})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"{LABELS[field]}: &#39;{uri}&#39;{reason}" in page
    assert f'href="#{field}"' in page  # the error summary links to the field
    assert db.session.query(Client).count() == 0


def test_http_on_a_loopback_address_is_accepted(client: FlaskClient, organisation: Organisation) -> None:
    response = _register(client, organisation, redirect_uris="http://127.0.0.1:8400/callback")
    assert response.status_code == 200
    assert find_client(db.session.query(Client).one().client_id).redirect_uris == ["http://127.0.0.1:8400/callback"]


def test_an_unknown_vault_module_is_refused(client: FlaskClient, organisation: Organisation) -> None:
    response = _register(client, organisation, allowed_modules=["tenancy", "horoscope"])
    assert response.status_code == 400
    assert db.session.query(Client).count() == 0


def test_private_key_jwt_registers_public_keys_and_no_secret(client: FlaskClient, organisation: Organisation) -> None:
    """private_key_jwt with a registered JWKS."""
    public = ECKey.generate_key("P-256").as_dict(private=False)
    response = _register(client, organisation, auth_method="private_key_jwt", jwks=json.dumps({"keys": [public]}))
    assert response.status_code == 200
    assert 'id="client-secret"' not in response.get_data(as_text=True)
    registered = db.session.query(Client).one()
    assert registered.token_endpoint_auth_method == "private_key_jwt"
    assert registered.jwks == {"keys": [public]}
    assert registered.secret_digest is None


def test_a_jwks_holding_a_private_key_is_refused(client: FlaskClient, organisation: Organisation) -> None:
    private = ECKey.generate_key("P-256").as_dict(private=True)
    response = _register(client, organisation, auth_method="private_key_jwt", jwks=json.dumps({"keys": [private]}))
    assert response.status_code == 400
    assert "Public keys (JWKS): jwks holds a private key" in response.get_data(as_text=True)


def test_rotation_keeps_the_old_secret_working_for_the_overlap(client: FlaskClient, organisation: Organisation) -> None:
    """Secrets rotatable with an overlap window."""
    old = _secret(_register(client, organisation).get_data(as_text=True))
    registered = db.session.query(Client).one()
    url = f"/admin/clients/{registered.client_id}/rotate-secret"
    response = post_form(client, url, {"overlap_hours": "24"}, page_url=url.rsplit("/", 1)[0])
    new = _secret(response.get_data(as_text=True))
    db.session.refresh(registered)
    assert registered.verify_secret(new) and registered.verify_secret(old)
    registered.previous_secret_expires_at = utcnow() - timedelta(seconds=1)  # the overlap has run out
    db.session.commit()
    assert registered.verify_secret(new) and not registered.verify_secret(old)


def test_rotation_with_no_overlap_ends_the_old_secret_at_once(client: FlaskClient, organisation: Organisation) -> None:
    old = _secret(_register(client, organisation).get_data(as_text=True))
    registered = db.session.query(Client).one()
    url = f"/admin/clients/{registered.client_id}/rotate-secret"
    post_form(client, url, {"overlap_hours": "0"}, page_url=url.rsplit("/", 1)[0])
    db.session.refresh(registered)
    assert not registered.verify_secret(old)


def test_editing_validates_uris_with_the_same_rules(client: FlaskClient, organisation: Organisation) -> None:
    _register(client, organisation)
    registered = db.session.query(Client).one()
    url = f"/admin/clients/{registered.client_id}/edit"
    response = post_form(client, url, {**GOOD, "redirect_uris": "https://repairs.example.org/*"})
    assert response.status_code == 400
    assert "Redirect URIs:" in response.get_data(as_text=True)
    db.session.refresh(registered)
    assert registered.redirect_uris == ["https://repairs.example.org/callback"]


def test_editing_changes_the_policy(client: FlaskClient, organisation: Organisation) -> None:
    _register(client, organisation)
    registered = db.session.query(Client).one()
    url = f"/admin/clients/{registered.client_id}/edit"
    response = post_form(client, url, {**GOOD, "max_auth_age": "300", "min_identity_level": "verified-in-person"})
    assert response.status_code == 302
    db.session.refresh(registered)
    assert (registered.max_auth_age, registered.min_identity_level) == (300, "verified-in-person")


def test_every_administrator_action_is_audited_with_their_identity(client: FlaskClient) -> None:
    """Every officer action lands in the audit log with the officer's identity."""
    admin = signed_in_as(client, "client_admin")
    post_form(client, "/admin/organisations/new", {"name": "Oak Lane Surgery", "type": "gp_practice"})
    owner = db.session.query(Organisation).one()
    _register(client, owner)
    registered = db.session.query(Client).one()
    base = f"/admin/clients/{registered.client_id}"
    post_form(client, base + "/edit", {**GOOD, "max_auth_age": "60"})
    post_form(client, base + "/rotate-secret", {"overlap_hours": "1"}, page_url=base)
    post_form(client, base + "/disable", {}, page_url=base)
    rows = db.session.query(AuditEvent).filter(AuditEvent.actor_id == admin.id).order_by(AuditEvent.seq).all()
    assert [row.action for row in rows] == [
        "organisation.created",
        "client.created",
        "client.updated",
        "client.secret_rotated",
        "client.disabled",
    ]
    assert {row.actor_role for row in rows} == {"client_admin"}


def _token_status(client: FlaskClient, client_id: str, secret: str) -> int:
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    return response.status_code


def test_both_secrets_work_at_the_token_endpoint_during_the_overlap_and_only_the_new_one_after(
    client: FlaskClient, organisation: Organisation
) -> None:
    """Secret rotation overlap, seen from the partner's side: their old secret keeps getting tokens until the
    overlap ends, so they can deploy the new one without an outage."""
    registered, old = create_client(
        "Tenancy sync", organisation=organisation, redirect_uris=[], grant_types=["client_credentials"], scope=""
    )
    base = f"/admin/clients/{registered.client_id}"
    new = _secret(post_form(client, base + "/rotate-secret", {"overlap_hours": "1"}, page_url=base).get_data(True))
    assert (_token_status(client, registered.client_id, old), _token_status(client, registered.client_id, new)) == (
        200,
        200,
    )
    registered.previous_secret_expires_at = utcnow() - timedelta(seconds=1)  # the hour has passed
    db.session.commit()
    assert _token_status(client, registered.client_id, old) == 401
    assert _token_status(client, registered.client_id, new) == 200
