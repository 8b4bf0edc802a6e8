"""Client assertions (RFC 7523, ``private_key_jwt``): how long one may live and how its ``jti`` is spent.

An assertion is a bearer credential until it expires, so its lifetime is capped: ``exp`` at most
``MAX_LIFETIME`` seconds ahead of now (plus the clock-skew ``LEEWAY``), and at most ``MAX_LIFETIME`` after
its ``iat`` when it has one. Its ``jti`` is remembered until the assertion could no longer be accepted
(``exp`` + ``LEEWAY``), so a replay is refused for the whole window in which it would otherwise pass: in
Redis when ``REDIS_URL`` is set (one ``SET NX`` with that expiry), else in ``oauth2_spent_assertions``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from flask import current_app
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from idp.extensions import db
from idp.oauth2.models import SpentAssertion

MAX_LIFETIME = 300  # seconds; RFC 7523 section 3 leaves the limit to the server
LEEWAY = 30  # seconds of clock skew allowed on exp, nbf and iat
REDIS_EXTENSION = "logbook_redis"
log = logging.getLogger(__name__)


def _number(value: Any) -> float | None:
    """A JSON number as a float (a boolean is not one here); None for anything else."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def check_lifetime(claims: dict[str, Any], now: float | None = None) -> None:
    """Refuse (invalid_client) an assertion meant to live longer than ``MAX_LIFETIME``. Checked before the
    ``jti`` is spent; a missing or malformed ``exp`` is left to the claims check that follows."""
    exp, iat = _number(claims.get("exp")), _number(claims.get("iat"))
    if any(value is not None and not math.isfinite(value) for value in (exp, iat)):
        raise InvalidClientError(description="client_assertion exp and iat must be finite NumericDate values")
    if exp is None:
        return
    if exp - (time.time() if now is None else now) > MAX_LIFETIME + LEEWAY:
        raise InvalidClientError(description=f"client_assertion exp is more than {MAX_LIFETIME} seconds ahead")
    if iat is not None and exp - iat > MAX_LIFETIME:
        raise InvalidClientError(description=f"client_assertion lives longer than {MAX_LIFETIME} seconds")


def spend_jti(client_id: str, jti: str, exp: Any) -> bool:
    """Remember ``jti`` for ``client_id`` until ``exp`` + ``LEEWAY``; False if it was already spent."""
    expires = _number(exp)
    until = int(expires) + LEEWAY if expires is not None else int(time.time()) + MAX_LIFETIME + LEEWAY
    if current_app.config.get("REDIS_URL"):
        return _spend_in_redis(client_id, jti, until)
    return _spend_in_database(client_id, jti, until)


def _spend_in_redis(client_id: str, jti: str, until: int) -> bool:
    """One atomic ``SET NX EXAT`` shared by every worker and host. The issuer is in the key, so
    deployments sharing a Redis never spend each other's ids."""
    name = "\x00".join((str(current_app.config["ISSUER"]), client_id, jti))
    key = "logbook:spent-assertion:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
    from redis.exceptions import RedisError

    try:
        return bool(_redis().set(key, b"1", nx=True, exat=max(until, int(time.time()) + 1)))
    except RedisError as error:  # fail closed: an unchecked jti could be a replay
        log.exception("client assertion replay cache unavailable")
        raise InvalidClientError(description="client_assertion could not be checked; try again") from error


def _redis() -> Any:
    client = current_app.extensions.get(REDIS_EXTENSION)
    if client is None:
        import redis

        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        current_app.extensions[REDIS_EXTENSION] = client
    return client


def _spend_in_database(client_id: str, jti: str, until: int) -> bool:
    values = {"client_id": client_id, "jti": jti, "expires_at": datetime.fromtimestamp(until, UTC)}
    try:
        with db.session.begin_nested():
            db.session.execute(insert(SpentAssertion.__table__).values(**values))
        db.session.commit()
    except IntegrityError:
        return False
    return True
