"""PKCE (S256, every client) and single-use authorization codes."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from idp.extensions import db
from idp.oauth2.codes import redeem_code
from idp.oauth2.models import AuthorizationCode
from idp.oauth2.tokens import token_digest
from tests.oauth.helpers import authorize, exchange, get_code, make_rp, redirect_params, refresh, signed_in_user


def _error(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.get_json()["error"])


def test_confidential_client_without_code_challenge_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 2.1.1: PKCE for all clients; ours sends invalid_request back to the client."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp, code_challenge=None, code_challenge_method=None))
    assert params["error"] == "invalid_request" and params["iss"] == "http://localhost"


def test_plain_code_challenge_method_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 9700 section 2.1.1: the plain method does not protect against a leaked authorization request."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp, code_challenge_method="plain"))
    assert params["error"] == "invalid_request"


def test_missing_method_does_not_default_to_plain(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    params = redirect_params(authorize(client, rp, code_challenge_method=None))
    assert params["error"] == "invalid_request"


def test_wrong_code_verifier_is_invalid_grant(app: Flask, client: FlaskClient) -> None:
    """RFC 7636 section 4.6: if the values are not equal, an error response indicating invalid_grant."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = exchange(client, rp, get_code(client, rp), code_verifier="x" * 50)
    assert response.status_code == 400 and _error(response) == "invalid_grant"


def test_missing_code_verifier_is_refused(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    response = exchange(client, rp, get_code(client, rp), code_verifier=None)
    assert response.status_code == 400 and _error(response) == "invalid_request"


def test_code_is_stored_only_as_a_digest(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    code = get_code(client, rp)
    assert db.session.get(AuthorizationCode, code) is None
    assert db.session.get(AuthorizationCode, token_digest(code)) is not None


def test_reused_code_is_refused_and_revokes_what_it_issued(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.1.2: used more than once → deny, and SHOULD revoke tokens issued from it."""
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    code = get_code(client, rp)
    first = exchange(client, rp, code).get_json()
    second = exchange(client, rp, code)
    assert second.status_code == 400 and _error(second) == "invalid_grant"
    assert _error(refresh(client, rp, first["refresh_token"])) == "invalid_grant"
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert info.status_code == 401


def test_expired_code_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.1.2: the authorization code MUST expire shortly after it is issued (60 s here)."""
    from datetime import timedelta

    from idp.database import utcnow

    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    code = get_code(client, rp)
    record = db.session.get(AuthorizationCode, token_digest(code))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _error(exchange(client, rp, code)) == "invalid_grant"


def test_code_lifetime_is_sixty_seconds(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(organisation_type="council_service")
    signed_in_user(client)
    code = get_code(client, rp)
    record = db.session.get(AuthorizationCode, token_digest(code))
    assert 55 <= record.expires_at.timestamp() - time.time() <= 60


def test_code_issued_to_another_client_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 section 4.1.3: ensure the authorization code was issued to the authenticated client."""
    rp = make_rp(organisation_type="council_service")
    other = make_rp(name="Other", organisation_type="council_service")
    signed_in_user(client)
    code = get_code(client, rp)
    other.verifier = rp.verifier
    assert _error(exchange(client, other, code)) == "invalid_grant"
    assert redeem_code(code, rp.client_id) is not None  # not burnt by the other client's attempt


def test_redirect_uri_must_match_the_authorization_request(app: Flask, client: FlaskClient) -> None:
    rp = make_rp(
        organisation_type="council_service",
        redirect_uris=["https://rp.example.org/callback", "https://rp.example.org/other"],
    )
    signed_in_user(client)
    response = exchange(client, rp, get_code(client, rp), redirect_uri="https://rp.example.org/other")
    assert _error(response) == "invalid_grant"
