"""Gunicorn config for an experiment: every SQLite connection in WAL mode, ``synchronous=NORMAL`` and a
busy timeout — what docs/benchmarks.md recommends the app do itself.

    BENCH_GUNICORN_CONFIG=bench/experiments/sqlite_wal.py .venv/bin/python -m bench.token_client_credentials
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def post_worker_init(worker: Any) -> None:
    event.listen(Engine, "connect", sqlite_pragmas)
