"""Shared fixtures: an app on a fresh database (SQLite by default, PostgreSQL when TEST_DATABASE_URL
names one), its test client, and a live server for end-to-end tests.

The suite runs twice in ``make test``: on the embedded default, and on PostgreSQL + Redis.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from idp.app import create_app
from idp.extensions import db, limiter

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


SCALE_OUT_TESTS = "tests/scaleout/"


def pytest_report_header(config: pytest.Config) -> str:
    database = "PostgreSQL" if POSTGRES_URL.startswith("postgresql") else "SQLite"
    limits = "Redis" if REDIS_URL else "in-process memory"
    return f"logbook: database={database}, rate limits and shared state={limits}"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Say how many multi-instance tests ran; with LOGBOOK_REQUIRE_SCALE_OUT=1 (make test's PostgreSQL +
    Redis run) a skipped one fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(session.config, "workerinput"):
        return
    counts = {outcome: _scale_out_reports(reporter.stats, outcome) for outcome in ("passed", "failed", "skipped")}
    summary = ", ".join(f"{number} {outcome}" for outcome, number in counts.items())
    reporter.write_line("")
    reporter.write_sep("-", f"logbook: scale-out tests ({SCALE_OUT_TESTS}): {summary}")
    if os.environ.get("LOGBOOK_REQUIRE_SCALE_OUT") and counts["skipped"]:
        reporter.write_line("logbook: the scale-out tests had to run here and did not", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _scale_out_reports(stats: dict[str, list[Any]], outcome: str) -> int:
    reports = [r for r in stats.get(outcome, []) if getattr(r, "nodeid", "").startswith(SCALE_OUT_TESTS)]
    return len({r.nodeid for r in reports if outcome != "passed" or r.when == "call"})


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per test process: a PostgreSQL database made for this run, or a SQLite file."""
    if not POSTGRES_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'logbook.sqlite'}"
        return
    name = f"logbook_test_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Signing keys are slow to generate (RSA): one set per test process."""
    return tmp_path_factory.mktemp("keys")


def make_test_config(database_url: str, keys_dir: Path, outbox: Path, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "ENV_NAME": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "KEYS_DIR": keys_dir,
        "MAIL_BACKEND": "file",
        "MAIL_OUTBOX_DIR": outbox,
        "ISSUER": "http://localhost",
        "SECRET_KEY": secrets.token_hex(32),
        # Each app gets its own rate-limit counters, also when they live in a shared Redis.
        "RATELIMIT_KEY_PREFIX": f"test-{secrets.token_hex(4)}",
        "RATELIMIT_STORAGE_URI": REDIS_URL or "memory://",
        "REDIS_URL": REDIS_URL or None,
    }
    config.update(overrides)
    return config


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def app(database_url: str, keys_dir: Path, outbox: Path) -> Iterator[Flask]:
    app = create_app(make_test_config(database_url, keys_dir, outbox))
    app.before_request_funcs.setdefault(None, []).insert(0, fresh_g_per_request)
    # Flask-Limiter keeps the first app's key prefix on the shared singleton (`prefix or config`): give
    # every test app its own counters, which matters when they live in one Redis.
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        _empty_all_tables()


def fresh_g_per_request() -> None:
    """The fixture keeps one app context open, and Flask reuses it for every request, so ``g`` (the
    cached sign-in session, Flask-WTF's CSRF token) would leak from one request, or test client, into
    the next, as it never does in a server. Start each request with an empty ``g``."""
    for name in list(vars(g)):
        delattr(g, name)


def _empty_all_tables() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
