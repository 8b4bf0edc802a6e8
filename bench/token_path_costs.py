"""Where the client-credentials token path spends its CPU, piece by piece, in one process.

    .venv/bin/python -m bench.token_path_costs [--wal]

Measures process CPU time (not wall time), so the numbers stay meaningful on a machine that other work
is using: the ORM client lookup against a Core select and the lean path's lookup, ES256 signing, a one-row
write through the ORM session against a Core insert, the per-request cost of Flask-Limiter and of the access
log, and the token and introspection endpoints through Flask's test client.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine

from bench.experiments.sqlite_wal import sqlite_pragmas
from bench.workloads import BENCH_SCOPE, basic_auth, seed_service_client


def cpu_per_call(label: str, call: Callable[[], Any], repeat: int = 1000) -> None:
    for _ in range(min(100, repeat)):
        call()
    started = time.process_time()
    for _ in range(repeat):
        call()
    print(f"{label:62s} {(time.process_time() - started) / repeat * 1e6:8.0f} µs CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wal", action="store_true", help="SQLite in WAL mode with synchronous=NORMAL")
    args = parser.parse_args()
    if args.wal:
        event.listen(Engine, "connect", sqlite_pragmas)
    from idp.app import create_app
    from idp.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="logbook-costs-"))

    def build(**overrides: Any) -> Any:
        config = {"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db.sqlite'}"}
        return create_app({**config, "KEYS_DIR": folder / "keys", "ISSUER": "http://127.0.0.1", **overrides})

    app = build()
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the run
    with app.app_context():
        db.create_all()
        client_id, secret = seed_service_client(app)
    with app.test_request_context("/"):
        _pieces(app, db, client_id)
    _endpoints(build, client_id, secret)


def _pieces(app: Any, db: Any, client_id: str) -> None:
    from joserfc import jwt

    from clients.models import Client
    from clients.services import find_client
    from idp.oauth2.access_tokens import issue_access_token
    from idp.oauth2.client_auth import load_client
    from idp.oauth2.models import RevokedAccessToken

    clients = Client.__table__
    cpu_per_call(
        "client lookup: clients.services.find_client (ORM)", lambda: (find_client(client_id), db.session.rollback())
    )
    cpu_per_call(
        "client lookup: one Core select",
        lambda: db.session.execute(select(clients).where(clients.c.client_id == client_id)).first(),
    )
    cpu_per_call(
        "client lookup: idp.oauth2.client_auth.load_client (lean path)",
        lambda: (load_client(client_id), db.session.rollback()),
    )
    key = app.extensions["logbook_keyring"].signing_key()
    claims = {"iss": "x", "sub": "y", "aud": ["a"], "exp": 1, "iat": 1, "jti": "z", "scope": "s", "client_id": "c"}
    cpu_per_call(
        "ES256 JWT encode (joserfc)",
        lambda: jwt.encode({"alg": key.alg, "kid": key.kid, "typ": "at+jwt"}, claims, key.jwk),
    )
    cpu_per_call(
        "issue_access_token (as the token endpoint calls it)",
        lambda: issue_access_token(client_id, client_id, {BENCH_SCOPE}),
    )

    def row() -> Any:
        return insert(RevokedAccessToken.__table__).values(
            jti=uuid.uuid4().hex, client_id=client_id, expires_at=datetime.now(UTC), revoked_at=datetime.now(UTC)
        )

    def through_session() -> None:
        db.session.execute(row())
        db.session.commit()

    def through_engine() -> None:
        with db.engine.begin() as connection:
            connection.execute(row())

    cpu_per_call("one-row write: Core insert through db.session + commit", through_session)
    cpu_per_call("one-row write: Core insert on an engine connection", through_engine)


def _endpoints(build: Callable[..., Any], client_id: str, secret: str) -> None:
    variants = [
        ("as configured", {}),
        ("without the access log", {"ACCESS_LOG": False}),
        ("without the access log and Flask-Limiter", {"ACCESS_LOG": False, "RATELIMIT_ENABLED": False}),
    ]
    for label, overrides in variants:
        client = build(**overrides).test_client()
        cpu_per_call(f"GET /healthz, {label} [test client]", lambda client=client: client.get("/healthz"))
    client = build().test_client()
    path = client.get("/.well-known/openid-configuration").json["token_endpoint"].removeprefix("http://127.0.0.1")
    form = {"grant_type": "client_credentials", "scope": BENCH_SCOPE}
    headers = {"Authorization": basic_auth(client_id, secret)}
    for label, overrides in variants[::2]:
        client = build(**overrides).test_client()
        cpu_per_call(
            f"POST token, {label} [test client]", lambda c=client: c.post(path, headers=headers, data=form), 500
        )
    token = client.post(path, headers=headers, data=form).json["access_token"]
    introspect = {"token": token, "token_type_hint": "access_token"}
    cpu_per_call(
        "POST introspect, without the access log [test client]",
        lambda c=client: c.post("/oauth2/introspect", headers=headers, data=introspect),
        500,
    )
    _raw_wsgi(build, path, headers["Authorization"], urlencode(form), urlencode(introspect))


def _raw_wsgi(build: Callable[..., Any], token_path: str, authorization: str, token_form: str, introspect: str) -> None:
    """The whole request as a WSGI server hands it over (a prebuilt environ, no test client): the fast
    path (``idp.oauth2.fast_path``) against Flask, alternating, access log on as in production."""
    from wsgiref.util import setup_testing_defaults

    def call(app: Any, path: str, body: bytes) -> None:
        environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": ""}
        setup_testing_defaults(environ)
        environ.update(CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)))
        environ.update({"HTTP_AUTHORIZATION": authorization, "wsgi.input": io.BytesIO(body)})
        chunks = app(environ, lambda status, headers, exc_info=None: None)
        assert b"error" not in b"".join(chunks)

    apps = {"fast path": build(), "Flask": build(TOKEN_FAST_PATH=False)}
    token_body, body = token_form.encode(), introspect.encode()
    for _ in range(2):
        for label, app in apps.items():
            cpu_per_call(f"POST token, {label} [raw WSGI]", lambda a=app: call(a, token_path, token_body), 500)
            cpu_per_call(f"POST introspect, {label} [raw WSGI]", lambda a=app: call(a, "/oauth2/introspect", body), 500)


if __name__ == "__main__":
    main()
