"""Where a vault API read spends its CPU, in one process (process CPU time, so it survives a busy machine).

    .venv/bin/python -m bench.vault_read_costs [--repeat 300] [--profile]

Seeds what ``bench.vault`` seeds (one citizen, 20 tenancy records, a consented landlord client, a read
token), then times the whole ``GET /api/v1/vault/modules/tenancy/records`` through Flask's test client
and its pieces, and counts the SQL statements and commits one read makes. ``--profile`` prints a
cProfile summary of the whole request.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from bench.experiments.sqlite_wal import sqlite_pragmas
from bench.token_path_costs import cpu_per_call
from bench.vault import MODULE, seed_citizen_with_module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the statements one read makes")
    args = parser.parse_args()
    event.listen(Engine, "connect", sqlite_pragmas)
    from idp.app import create_app
    from idp.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="logbook-vault-costs-"))
    config = {"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db.sqlite'}"}
    app = create_app({**config, "KEYS_DIR": folder / "keys", "ISSUER": "http://127.0.0.1"})
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the run
    with app.app_context():
        db.create_all()
        token = seed_citizen_with_module(app)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/vault/modules/{MODULE}/records"
    http = app.test_client()

    def read() -> Any:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    _count_statements(read, args.sql)
    _pieces(app, token, args.repeat)
    cpu_per_call("GET vault records, whole (test client)", read, args.repeat)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [read() for _ in range(args.repeat)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)


def _count_statements(read: Any, verbose: bool = False) -> None:
    """What SQLite itself ran for one read (its trace callback sees the prepared statements of
    ``idp.prepared`` too, which SQLAlchemy's statement events do not), BEGIN and COMMIT included."""
    seen: list[str] = []

    def trace(sql: str) -> None:
        seen.append(" ".join(sql.split()))

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_trace_callback(trace)

    read()
    event.listen(Pool, "checkout", checkout)
    read()
    event.remove(Pool, "checkout", checkout)
    counting = list(seen)
    seen.clear()
    if verbose:
        for sql in counting:
            print("   ", sql[:150])
    statements = [sql for sql in counting if sql.split()[0].upper() not in ("BEGIN", "COMMIT")]
    commits = sum(sql.upper().startswith("COMMIT") for sql in counting)
    print(f"one read: {len(statements)} SQL statements, {commits} commit(s)")


def _pieces(app: Any, token: str, repeat: int) -> None:
    from clients.services import request_client
    from consent.services import log_access
    from idp.extensions import db
    from idp.oauth2.access_tokens import verify_access_token
    from vault import services
    from vault.policy import authorize

    audience = "http://127.0.0.1/api/v1/vault"
    with app.test_request_context("/"):
        claims = verify_access_token(token, audience)
        client = request_client(claims.client_id)
        cpu_per_call(
            "verify_access_token (ES256 + live-state query)", lambda: verify_access_token(token, audience), repeat
        )
        cpu_per_call("vault.policy.authorize (step-up + grant)", lambda: authorize(claims, MODULE, "read"), repeat)
        cpu_per_call(
            "vault.services.list_records_json (20 records, the API body)",
            lambda: services.list_records_json(claims.user_id, MODULE),
            repeat,
        )
        cpu_per_call(
            "consent log_access (chain append + commit)",
            lambda: log_access(claims.user_id, client, MODULE, "read", grant_id=claims.grant_id),
            repeat,
        )
        db.session.rollback()


if __name__ == "__main__":
    main()
