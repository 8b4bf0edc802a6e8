"""The access log under several server processes (gunicorn workers): appends queue on a kernel lock beside the
SQLite file (idp.append_lock), the chain stays whole, and no entry is lost."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from consent import services
from consent.access_log import verify_chain
from consent.models import AccessEvent
from idp.append_lock import serialised_append
from idp.extensions import db
from tests.conftest import POSTGRES_URL, make_test_config
from tests.consent.helpers import citizen, grant, landlord_client

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter, like a gunicorn worker that loads the app


def append_reads(database_url: str, keys_dir: Path, outbox: Path, ids: dict[str, str], count: int, events: Any) -> None:
    """One "worker": its own app and connections on the same database, appending ``count`` reads."""
    from clients.services import get_client
    from idp.app import create_app

    ready, done = events
    app = create_app(make_test_config(database_url, keys_dir, outbox))
    with app.app_context():
        client = get_client(ids["client_id"])
        ready.set()
        for _ in range(count):
            services.log_access(ids["user_id"], client, "tenancy", "read", grant_id=ids["grant_id"])
        db.session.remove()
    done.set()


def start_worker(app: Any, database_url: str, keys_dir: Path, ids: dict[str, str], count: int) -> tuple[Any, Any]:
    events = (SPAWN.Event(), SPAWN.Event())
    args = (database_url, keys_dir, Path(app.config["MAIL_OUTBOX_DIR"]), ids, count, events)
    process = SPAWN.Process(target=append_reads, args=args)
    process.start()
    return process, events


def seeded_reader() -> dict[str, str]:
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    ids = {"user_id": user.id, "client_id": client.client_id, "grant_id": recorded.id}
    db.session.commit()
    return ids


def logged_rows(database_url: str) -> int:
    engine = create_engine(database_url)  # a connection of its own, outside the test's session
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(AccessEvent.__table__)) or 0)
    finally:
        engine.dispose()


def test_appends_from_several_processes_keep_the_chain_whole_and_lose_nothing(app, database_url, keys_dir):
    ids = seeded_reader()
    workers = [start_worker(app, database_url, keys_dir, ids, 40) for _ in range(3)]
    for process, _ in workers:
        process.join(120)
        assert process.exitcode == 0
    report = verify_chain()
    assert report.ok, report.reason
    assert report.rows == 120


@pytest.mark.skipif(POSTGRES_URL.startswith("postgresql"), reason="SQLite only: PostgreSQL queues on the head row")
def test_an_append_in_another_process_waits_for_the_lock_and_goes_on_once_it_is_free(app, database_url, keys_dir):
    """The other process waits on the file lock, before SQLite's write lock, which nobody holds here: without
    the file lock it would append at once."""
    ids = seeded_reader()
    with serialised_append():
        process, (ready, done) = start_worker(app, database_url, keys_dir, ids, 1)
        assert ready.wait(60)
        time.sleep(0.5)
        assert not done.is_set() and logged_rows(database_url) == 0
    assert done.wait(30)
    process.join(30)
    assert process.exitcode == 0 and logged_rows(database_url) == 1


@pytest.mark.skipif(POSTGRES_URL.startswith("postgresql"), reason="SQLite only")
def test_the_lock_is_a_file_beside_the_database(app, database_url):
    with serialised_append():
        pass
    assert Path(f"{database_url.removeprefix('sqlite:///')}-append.lock").exists()
