"""The client registry: secrets hashed, shown once, rotated with overlap; redirect URIs validated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from clients.models import Client
from clients.services import (
    InvalidRedirectURI,
    disable_client,
    rotate_secret,
    validate_redirect_uri,
    verify_client_secret,
)
from idp.database import utcnow
from idp.extensions import db
from tests.builders import create_client


def test_client_secret_is_stored_only_as_a_digest(app: Flask) -> None:
    """DESIGN.md: client secrets are stored as an HMAC/SHA-256 digest, compared in constant time."""
    client, secret = create_client()
    assert secret and len(secret) >= 43
    stored = db.session.get(Client, client.id)
    assert secret not in (stored.secret_digest, stored.previous_secret_digest)
    assert verify_client_secret(client.client_id, secret) is client


def test_wrong_secret_is_refused(app: Flask) -> None:
    client, secret = create_client()
    assert verify_client_secret(client.client_id, secret + "x") is None
    assert verify_client_secret(client.client_id, "") is None


def test_previous_secret_works_until_the_overlap_ends(app: Flask) -> None:
    client, old = create_client()
    new = rotate_secret(client, overlap=timedelta(hours=1))
    assert client.verify_secret(new) and client.verify_secret(old)
    client.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    assert not client.verify_secret(old)


def test_rotation_without_overlap_ends_the_old_secret_at_once(app: Flask) -> None:
    client, old = create_client()
    rotate_secret(client, overlap=timedelta(0))
    assert not client.verify_secret(old)


def test_disabled_client_secret_no_longer_verifies(app: Flask) -> None:
    client, secret = create_client()
    disable_client(client)
    assert verify_client_secret(client.client_id, secret) is None


@pytest.mark.parametrize(
    "uri",
    [
        "http://rp.example.org/cb",
        "https://rp.example.org/cb#frag",
        "https://*.example.org/cb",
        "rp.example.org/cb",
        "javascript:alert(1)",
    ],
)
def test_unsafe_redirect_uris_are_refused(uri: str) -> None:
    """RFC 9700 section 2.1: redirect URIs are registered in full; no wildcards, no fragments, https."""
    with pytest.raises(InvalidRedirectURI):
        validate_redirect_uri(uri)


@pytest.mark.parametrize("uri", ["https://rp.example.org/cb?x=1", "http://127.0.0.1:8765/cb", "http://[::1]/cb"])
def test_https_and_loopback_redirect_uris_are_accepted(uri: str) -> None:
    """RFC 8252 section 7.3: loopback redirects may use http."""
    assert validate_redirect_uri(uri) == uri


def test_council_service_clients_are_first_party(app: Flask) -> None:
    client, _ = create_client(organisation_type="council_service")
    partner, _ = create_client(organisation_type="gp_practice")
    assert client.first_party and not partner.first_party
