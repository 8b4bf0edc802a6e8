"""How long a private_key_jwt client assertion may live, and how long its jti is remembered (RFC 7523).

RFC 7523 section 3: "The authorization server MAY reject JWTs with an "exp" claim value that is
unreasonably far in the future", and it "MAY ensure that JWTs are not replayed by maintaining the set of
used "jti" values for the length of time for which the JWT would be considered valid". Logbook allows
``MAX_LIFETIME`` (300 s) plus ``LEEWAY`` (30 s) of clock skew, and remembers each jti until exp + leeway.
"""

from __future__ import annotations

import math
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from sqlalchemy import func, select

from idp.extensions import db
from idp.oauth2.assertions import LEEWAY, MAX_LIFETIME
from idp.oauth2.models import SpentAssertion
from tests.oauth.test_private_key_jwt import _claims, _rp_with_key, _token


def _assertion(without: str = "", **overrides: object) -> tuple[str, str]:
    rp, key = _rp_with_key()
    claims = _claims(rp.client_id, **overrides)
    claims.pop(without, None)
    return rp.client_id, jwt.encode({"alg": "ES256", "kid": "rp-1"}, claims, key)


def _refused(response: object) -> bool:
    body = response.get_json()  # type: ignore[attr-defined]
    return body is not None and body.get("error") == "invalid_client"


def test_an_assertion_expiring_an_hour_ahead_is_refused(app: Flask, client: FlaskClient) -> None:
    now = int(time.time())
    _, assertion = _assertion(iat=now, exp=now + 3600)
    assert _refused(_token(client, assertion))


def test_an_assertion_expiring_years_ahead_without_iat_is_refused(app: Flask, client: FlaskClient) -> None:
    _, assertion = _assertion(without="iat", exp=int(time.time()) + 10 * 365 * 24 * 3600)
    assert _refused(_token(client, assertion))


def test_an_assertion_meant_to_live_longer_than_the_maximum_is_refused_even_when_exp_is_near(
    app: Flask, client: FlaskClient
) -> None:
    """exp - iat over the maximum: made to live long, whatever is left of it now."""
    now = int(time.time())
    _, assertion = _assertion(iat=now - 120, exp=now + MAX_LIFETIME - 60)
    assert _refused(_token(client, assertion))


def test_an_assertion_of_the_maximum_lifetime_is_accepted(app: Flask, client: FlaskClient) -> None:
    now = int(time.time())
    _, assertion = _assertion(iat=now, exp=now + MAX_LIFETIME)
    response = _token(client, assertion)
    assert response.status_code == 200, response.get_json()


def test_a_non_finite_exp_is_refused_as_invalid_client_not_a_server_error(app: Flask, client: FlaskClient) -> None:
    _, assertion = _assertion(exp=math.nan)
    response = _token(client, assertion)
    assert response.status_code < 500 and _refused(response)


def test_a_replay_is_refused_for_as_long_as_the_assertion_would_be_accepted(app: Flask, client: FlaskClient) -> None:
    """An assertion just past exp is still accepted within the clock-skew leeway; the purge that deletes
    spent ids must not forget this one before then."""
    now = int(time.time())
    _, assertion = _assertion(iat=now - 60, exp=now - LEEWAY // 2)
    assert _token(client, assertion).status_code == 200
    assert app.test_cli_runner().invoke(args=["oauth2", "purge"]).exit_code == 0
    assert _refused(_token(client, assertion))


def test_with_redis_configured_spent_ids_are_kept_in_redis(app: Flask, client: FlaskClient) -> None:
    """Shared by every worker and host (DESIGN: Redis for shared short-lived state); no table rows."""
    if not app.config.get("REDIS_URL"):
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    _, assertion = _assertion()
    assert _token(client, assertion).status_code == 200
    assert _refused(_token(client, assertion))
    assert db.session.scalar(select(func.count()).select_from(SpentAssertion)) == 0


def test_without_redis_spent_ids_are_kept_until_exp_plus_the_leeway(app: Flask, client: FlaskClient) -> None:
    if app.config.get("REDIS_URL"):
        pytest.skip("Redis is configured: spent ids live there")
    now = int(time.time())
    client_id, assertion = _assertion(iat=now, exp=now + 60)
    assert _token(client, assertion).status_code == 200
    row = db.session.scalars(select(SpentAssertion).where(SpentAssertion.client_id == client_id)).one()
    assert int(row.expires_at.timestamp()) == now + 60 + LEEWAY
