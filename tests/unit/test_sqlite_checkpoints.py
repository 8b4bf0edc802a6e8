"""WAL checkpoints (idp.sqlite_checkpoints): a thread of each process copies the log back into the database
file, so that no request's commit pays for it (two fsyncs, 23-54 ms on the development VM)."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text

from idp import sqlite_checkpoints
from idp.extensions import db
from tests.conftest import POSTGRES_URL


def test_the_thread_copies_committed_pages_into_the_database_file_with_no_commit_doing_it(tmp_path):
    path = tmp_path / "log.sqlite"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # this connection's commits never checkpoint
    writer.execute("CREATE TABLE entries (body BLOB)")
    for _ in range(100):
        writer.execute("INSERT INTO entries VALUES (randomblob(4000))")
    before = path.stat().st_size
    assert before < 100_000  # the rows are all still in the -wal file
    sqlite_checkpoints.ensure_checkpointer(str(path))
    deadline = time.monotonic() + 10
    while path.stat().st_size < 400_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size >= 400_000
    writer.close()


def test_the_thread_ends_once_its_database_file_is_gone(tmp_path):
    """A temporary copy (the backup's row count opens one) must not keep a thread and an open file for good."""
    path = tmp_path / "copy.sqlite"
    sqlite3.connect(path).close()
    sqlite_checkpoints.ensure_checkpointer(str(path))
    thread = sqlite_checkpoints._threads[str(path)]
    assert thread.is_alive()
    path.unlink()
    thread.join(10)
    assert not thread.is_alive()


@pytest.mark.skipif(POSTGRES_URL.startswith("postgresql"), reason="SQLite only")
def test_app_connections_checkpoint_only_as_a_safety_net(app):
    assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == sqlite_checkpoints.SAFETY_NET_PAGES
