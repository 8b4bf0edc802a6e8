"""Two Logbook instances (gunicorn, the same code) on different loopback ports sharing ONE PostgreSQL
database and ONE Redis, as several hosts behind a load balancer would: the same ``SECRET_KEY``, issuer
and keys folder, nothing else in common.

    def test_x(instances): a, b = instances.client("a"), instances.client("b")   # one browser, two hosts

The two-server tests run only on the scale-out path (``make test``'s second run sets TEST_DATABASE_URL and
TEST_REDIS_URL); ``other_process`` (a second app on the test database, with caches of its own) runs on both.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from idp.app import create_app
from idp.extensions import db
from tests.conftest import POSTGRES_URL, REDIS_URL, make_test_config
from tests.e2e.conftest import LiveServer, free_port, seeding_app, server_environment, serving
from tests.scaleout.http import LiveClient

# The sign-in limit per account, low enough to reach in a few requests.
SIGN_IN_LIMIT = "4 per hour"


SKIP_REASON = "needs PostgreSQL and Redis: set TEST_DATABASE_URL and TEST_REDIS_URL (make test's second run does)"


def scale_out_path() -> bool:
    return POSTGRES_URL.startswith("postgresql") and REDIS_URL.startswith("redis")


@dataclass
class Instances:
    """Two servers on one database; ``app`` seeds and inspects that database from this process."""

    servers: dict[str, LiveServer]
    app: Flask

    def client(self, name: str, browser: requests.Session | None = None) -> LiveClient:
        return LiveClient(self.servers[name].url, browser or requests.Session())

    @contextmanager
    def app_context(self) -> Iterator[Flask]:
        with self.app.app_context():
            yield self.app
            db.session.remove()


@contextmanager
def shared_database() -> Iterator[str]:
    """A PostgreSQL database of its own for this module's servers, dropped afterwards."""
    name = f"logbook_scaleout_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def instance_environment(folder: Path, keys_dir: Path, database_url: str, issuer: str) -> dict[str, str]:
    env = server_environment(folder, 0, keys_dir)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "LOGBOOK_ISSUER": issuer,  # one issuer for every instance, as behind a load balancer
            # Counters of their own in the shared Redis, so that other runs and modules never count here.
            "LOGBOOK_RATELIMIT_KEY_PREFIX": f"scaleout-{secrets.token_hex(4)}",
            "LOGBOOK_SIGN_IN_LIMIT_PER_ACCOUNT": SIGN_IN_LIMIT,
        }
    )
    return env


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Iterator[Instances]:
    if not scale_out_path():
        pytest.skip(SKIP_REASON)
    folder = tmp_path_factory.mktemp("scaleout")
    ports = {"a": free_port(), "b": free_port()}
    with shared_database() as database_url, ExitStack() as stack:
        env = instance_environment(folder, keys_dir, database_url, issuer=f"http://127.0.0.1:{ports['a']}")
        app = seeding_app(env, folder, keys_dir)
        servers = {name: stack.enter_context(serving(env, folder, port, app)) for name, port in ports.items()}
        yield Instances(servers, app)
        stack.close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def other_process(app: Flask, database_url: str, keys_dir: Path, outbox: Path) -> Iterator[Flask]:
    """A second app on the test database with its own ``app.extensions``, as another worker or host has:
    what it changes, ``app`` must see. Use it in ``with other_process.app_context():``."""
    other = create_app(make_test_config(database_url, keys_dir, outbox, SECRET_KEY=app.config["SECRET_KEY"]))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
