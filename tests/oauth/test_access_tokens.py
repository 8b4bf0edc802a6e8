"""JWT access tokens (RFC 9068) and their verification by resource servers."""

from __future__ import annotations

import json
import time

import pytest
from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey

from idp.oauth2.access_tokens import InvalidAccessToken, issue_access_token, vault_audience, verify_access_token
from idp.oauth2.tokens import revoke_access_token
from tests.builders import create_client, create_user
from tests.oauth.forge import claims_of, header_of, hmac_signed, unsigned

ISSUER = "http://localhost"


def _issue(app: Flask, scopes: set[str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    user = create_user()
    rp, _ = create_client(scope="openid vault:money:read")
    issued = issue_access_token(
        rp.client_id,
        user.id,
        scopes or {"openid", "vault:money:read"},
        user_id=user.id,
        auth_time=int(time.time()),
        acr="urn:logbook:acr:password",
        amr=["pwd"],
        **kwargs,  # type: ignore[arg-type]
    )
    return user, issued


def test_access_token_header_has_at_jwt_type(app: Flask) -> None:
    """RFC 9068 section 2.1: access tokens MUST include "application/at+jwt" in the typ header."""
    _, issued = _issue(app)
    header = header_of(issued.token)
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]


def test_verified_token_resolves_the_user_and_scopes(app: Flask) -> None:
    user, issued = _issue(app)
    claims = verify_access_token(issued.token, vault_audience())
    assert claims.user_id == user.id and claims.client_id == claims.raw["client_id"]
    assert claims.scopes == {"openid", "vault:money:read"}
    assert claims.acr == "urn:logbook:acr:password" and claims.amr == ("pwd",)


def test_token_for_another_audience_is_refused(app: Flask) -> None:
    """RFC 9068 section 4: the resource server MUST validate that the aud claim contains its identifier."""
    _, issued = _issue(app, scopes={"openid"})
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_revoked_token_is_refused(app: Flask) -> None:
    _, issued = _issue(app)
    revoke_access_token(issued.jti, issued.claims["client_id"], issued.claims["exp"])
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_expired_token_is_refused(app: Flask) -> None:
    """RFC 9068 section 4: the current time MUST be before the time represented by the exp claim."""
    _, issued = _issue(app, lifetime=1)
    key = app.extensions["logbook_keyring"].signing_key()
    claims = claims_of(issued.token) | {"exp": int(time.time()) - 60, "iat": int(time.time()) - 120}
    stale = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}, claims, key.jwk)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(stale, vault_audience())


def test_alg_none_is_refused(app: Flask) -> None:
    """RFC 8725 section 3.1: libraries MUST NOT accept "none" unless asked."""
    _, issued = _issue(app)
    forged = unsigned({"alg": "none", "typ": "at+jwt"}, claims_of(issued.token))
    with pytest.raises(InvalidAccessToken):
        verify_access_token(forged, vault_audience())


def test_hmac_signed_with_the_public_key_is_refused(app: Flask) -> None:
    """RFC 8725 section 2.1: an attacker can sign with HS256 using the published public key."""
    _, issued = _issue(app)
    key = app.extensions["logbook_keyring"].signing_key()
    public = json.dumps(key.public_jwk()).encode()
    forged = hmac_signed({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}, claims_of(issued.token), public)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(forged, vault_audience())


def test_embedded_jwk_header_is_refused(app: Flask) -> None:
    """RFC 8725 section 3.10 (and CVE-2018-0114): a key carried by the token itself proves nothing."""
    _, issued = _issue(app)
    attacker = ECKey.generate_key("P-256", private=True)
    header = {"alg": "ES256", "typ": "at+jwt", "jwk": attacker.as_dict(private=False)}
    forged = jwt.encode(header, claims_of(issued.token), attacker)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(forged, vault_audience())


def test_token_signed_by_an_unknown_key_is_refused(app: Flask) -> None:
    _, issued = _issue(app)
    attacker = ECKey.generate_key("P-256", private=True)
    kid = app.extensions["logbook_keyring"].signing_key().kid
    forged = jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": kid}, claims_of(issued.token), attacker)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(forged, vault_audience())


def test_id_token_type_is_not_accepted_as_an_access_token(app: Flask) -> None:
    """RFC 9068 section 4: resource servers MUST verify that the typ header value is at+jwt."""
    _, issued = _issue(app)
    key = app.extensions["logbook_keyring"].signing_key()
    other = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "JWT"}, claims_of(issued.token), key.jwk)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(other, vault_audience())


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 10000, None, 42])
def test_garbage_is_refused_without_crashing(app: Flask, garbage: object) -> None:
    with pytest.raises(InvalidAccessToken):
        verify_access_token(garbage, vault_audience())  # type: ignore[arg-type]


def test_issuing_a_client_credentials_token_writes_nothing(app: Flask) -> None:
    """DESIGN.md: hot paths stay lean — issuing is a signature, revocation a deny-list."""
    from idp.extensions import db
    from idp.oauth2.models import RevokedAccessToken, TokenFamily

    rp, _ = create_client(grant_types=["client_credentials"], redirect_uris=[], scope="vault:money:read")
    issued = issue_access_token(rp.client_id, rp.client_id, {"vault:money:read"})
    assert db.session.query(TokenFamily).count() == 0 and db.session.query(RevokedAccessToken).count() == 0
    assert verify_access_token(issued.token, vault_audience()).user_id is None


def test_tokens_of_a_disabled_client_are_refused(app: Flask) -> None:
    from clients.services import disable_client

    rp, _ = create_client(grant_types=["client_credentials"], redirect_uris=[], scope="vault:money:read")
    issued = issue_access_token(rp.client_id, rp.client_id, {"vault:money:read"})
    disable_client(rp)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_token_of_an_unregistered_client_is_refused(app: Flask) -> None:
    issued = issue_access_token("nobody", "nobody", {"vault:money:read"})
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_token_naming_an_unknown_family_is_refused(app: Flask) -> None:
    rp, _ = create_client(scope="openid vault:money:read")
    issued = issue_access_token(rp.client_id, "sub", {"vault:money:read"}, family_id="f" * 32)
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_a_token_verified_before_is_refused_once_revoked(app: Flask) -> None:
    """Workers remember verified signatures; revocation is still checked on every call."""
    _, issued = _issue(app)
    verify_access_token(issued.token, vault_audience())
    revoke_access_token(issued.jti, issued.claims["client_id"], issued.claims["exp"])
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_a_token_verified_before_is_still_checked_for_its_audience(app: Flask) -> None:
    _, issued = _issue(app, scopes={"openid"})
    assert verify_access_token(issued.token, app.config["ISSUER"]).client_id
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())


def test_a_token_verified_before_is_refused_once_its_signing_key_is_retired(app: Flask) -> None:
    _, issued = _issue(app)
    verify_access_token(issued.token, vault_audience())
    keyring = app.extensions["logbook_keyring"]
    keyring.rotate()
    keyring.retire(0, kid=header_of(issued.token)["kid"])
    with pytest.raises(InvalidAccessToken):
        verify_access_token(issued.token, vault_audience())
