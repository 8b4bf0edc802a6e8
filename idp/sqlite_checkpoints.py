"""WAL checkpoints on a thread of their own, so that no request pays for one (embedded default, SQLite).

In WAL mode SQLite copies the log back into the database file (a checkpoint) when a commit finds the log longer
than ``wal_autocheckpoint`` pages, and that commit pays for it: the page writes and two fsyncs, 23-54 ms on this
machine's disk for the ~1,000 pages that ~220 vault reads add (each read appends to the access log). Since
access-log appends queue one at a time (``idp.append_lock``), every appender waited out that checkpoint as well.

So every process that opens a database file keeps one daemon thread that checkpoints it every ``INTERVAL``
seconds in PASSIVE mode (it never waits for, nor blocks, a reader or a writer; the sqlite3 module lets go of the
GIL while SQLite works). Commits still checkpoint themselves past ``SAFETY_NET_PAGES``, should the thread stall.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from contextlib import closing
from urllib.parse import quote

INTERVAL = 0.2
SAFETY_NET_PAGES = 10_000  # ~40 MB of 4 KiB pages; the thread keeps the log far below it

logger = logging.getLogger(__name__)
_threads: dict[str, threading.Thread] = {}  # database file -> this process's thread (a forked child's are not alive)
_guard = threading.Lock()


def _reset_after_fork() -> None:
    global _guard
    _guard = threading.Lock()  # another thread may have held it when the process forked


os.register_at_fork(after_in_child=_reset_after_fork)


def database_file(dbapi_connection: sqlite3.Connection) -> str:
    """The main database's file, or "" for an in-memory or temporary database."""
    for _, name, path in dbapi_connection.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(path or "")
    return ""


def ensure_checkpointer(path: str) -> None:
    """Start this process's checkpoint thread for ``path`` unless it runs already."""
    if not path or _running(path):
        return
    with _guard:
        if not _running(path):
            _threads[path] = thread = threading.Thread(
                target=_checkpoint_forever, args=(path,), name="sqlite-checkpoints", daemon=True
            )
            thread.start()


def _running(path: str) -> bool:
    thread = _threads.get(path)
    return thread is not None and thread.is_alive()


def _checkpoint_forever(path: str) -> None:
    try:
        # mode=rw: never create a database file that is not there.
        connection = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error:
        logger.warning("sqlite checkpoints: cannot open %s; commits checkpoint it themselves", path)
        return
    with closing(connection):
        while os.path.exists(path):  # a file removed (a temporary copy, a test's database) needs no more
            time.sleep(INTERVAL)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                continue  # busy or gone for now: the next round tries again, and commits have the safety net
