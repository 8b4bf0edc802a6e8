"""private_key_jwt client authentication (OIDC Core section 9, RFC 7523)."""

from __future__ import annotations

import json
import time
import uuid

from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.oauth.forge import hmac_signed
from tests.oauth.helpers import make_rp

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _rp_with_key():  # type: ignore[no-untyped-def]
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-1"}, private=True)
    rp = make_rp(
        grant_types=["client_credentials"],
        redirect_uris=[],
        scope="vault:tenancy:write",
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [key.as_dict(private=False)]},
    )
    return rp, key


def _claims(client_id: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": "http://localhost/oauth2/token",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return claims


def _token(client: FlaskClient, assertion: str):  # type: ignore[no-untyped-def]
    data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    return client.post("/oauth2/token", data=data)


def test_signed_assertion_authenticates_the_client(app: Flask, client: FlaskClient) -> None:
    rp, key = _rp_with_key()
    assertion = jwt.encode({"alg": "ES256", "kid": "rp-1"}, _claims(rp.client_id), key)
    response = _token(client, assertion)
    assert response.status_code == 200, response.get_json()


def test_replayed_assertion_jti_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 7523 section 3: the authorization server MAY ensure JWTs are not replayed (jti)."""
    rp, key = _rp_with_key()
    assertion = jwt.encode({"alg": "ES256", "kid": "rp-1"}, _claims(rp.client_id), key)
    assert _token(client, assertion).status_code == 200
    assert _token(client, assertion).get_json()["error"] == "invalid_client"


def test_assertion_for_another_audience_is_refused(app: Flask, client: FlaskClient) -> None:
    rp, key = _rp_with_key()
    assertion = jwt.encode({"alg": "ES256"}, _claims(rp.client_id, aud="https://elsewhere.example"), key)
    assert _token(client, assertion).get_json()["error"] == "invalid_client"


def test_expired_assertion_is_refused(app: Flask, client: FlaskClient) -> None:
    rp, key = _rp_with_key()
    assertion = jwt.encode({"alg": "ES256"}, _claims(rp.client_id, exp=int(time.time()) - 600), key)
    assert _token(client, assertion).get_json()["error"] == "invalid_client"


def test_assertion_signed_by_another_key_is_refused(app: Flask, client: FlaskClient) -> None:
    rp, _ = _rp_with_key()
    stranger = ECKey.generate_key("P-256", private=True)
    assertion = jwt.encode({"alg": "ES256"}, _claims(rp.client_id), stranger)
    assert _token(client, assertion).get_json()["error"] == "invalid_client"


def test_assertion_with_its_own_embedded_jwk_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 8725 section 3.10: a key carried in the header proves nothing."""
    rp, _ = _rp_with_key()
    stranger = ECKey.generate_key("P-256", private=True)
    header = {"alg": "ES256", "jwk": stranger.as_dict(private=False)}
    assertion = jwt.encode(header, _claims(rp.client_id), stranger)
    assert _token(client, assertion).get_json()["error"] == "invalid_client"


def test_assertion_hmac_signed_with_the_public_key_is_refused(app: Flask, client: FlaskClient) -> None:
    """RFC 8725 section 2.1: algorithm confusion — HS256 keyed with the registered public key."""
    rp, key = _rp_with_key()
    public = json.dumps(key.as_dict(private=False)).encode()
    assertion = hmac_signed({"alg": "HS256", "kid": "rp-1"}, _claims(rp.client_id), public)
    assert _token(client, assertion).get_json()["error"] == "invalid_client"


def test_secret_based_auth_is_refused_for_a_private_key_jwt_client(app: Flask, client: FlaskClient) -> None:
    rp, _ = _rp_with_key()
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=(rp.client_id, "x"))
    assert response.get_json()["error"] == "invalid_client"
