"""One appender at a time on SQLite, queued in the kernel rather than in SQLite's busy handler.

SQLite has a single write lock per database file. A connection that finds it taken does not queue: its busy
handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries, so under load a writer often
sleeps on long after the lock came free, and every vault read appends to the access log: those sleeps were
the vault read's p99. Here an appender first queues on a threading lock (threads of one worker), then on an
exclusive ``flock(2)`` of a file beside the database (workers, on one host as SQLite requires): the kernel wakes
the next waiter the moment the holder lets go, and it finds SQLite's write lock free, unless a write outside
the chains holds it, which the busy handler still covers. The lock is held until the append commits; the
kernel drops it if the worker dies, so a crashed holder never blocks the others.

A connection already inside a write transaction holds SQLite's lock, so it appends without queueing here:
waiting for the file lock while holding SQLite's would deadlock with a holder of the file lock waiting for
SQLite's (until busy_timeout). PostgreSQL needs none of this: the chain head's row lock queues writers there.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from idp.extensions import db


class _FileLock:
    """A threading lock in front of an exclusive flock on one file, opened once per process."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd: int | None = None
        self.pid = 0

    def _file(self) -> int:
        # A descriptor inherited across fork shares the parent's lock (flock locks the open file, not the
        # process): each process opens its own.
        if self.fd is None or self.pid != os.getpid():
            assert self.path is not None
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self.pid = os.getpid()
        return self.fd

    def acquire(self) -> None:
        self.thread_lock.acquire()
        if self.path is None:
            return
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self.thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self.path is not None and self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.thread_lock.release()


_locks: dict[str, _FileLock] = {}
_locks_guard = threading.Lock()


def _reset_after_fork() -> None:
    # A thread of the parent may have held a lock when it forked; the child starts with fresh ones (and
    # opens its own files: closing the inherited descriptors here would not unlock the parent's).
    _locks.clear()
    global _locks_guard
    _locks_guard = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def lock_file_for(database: str | None) -> str | None:
    """The lock file beside a SQLite database file; None for an in-memory database (one process only)."""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    return f"{database}-append.lock"


def _lock_for(connection: Connection) -> _FileLock:
    key = str(connection.engine.url)
    lock = _locks.get(key)
    if lock is None:
        with _locks_guard:
            lock = _locks.setdefault(key, _FileLock(lock_file_for(connection.engine.url.database)))
    return lock


@contextmanager
def serialised_append() -> Iterator[None]:
    """Hold around a chain append and its commit (see the module docstring). On SQLite, outside a write
    transaction, appenders queue here; anywhere else this does nothing. If the block fails, the session is
    rolled back before the lock is let go, so the next appender does not meet SQLite's lock still held."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite" or connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        yield
        return
    lock = _lock_for(connection)
    lock.acquire()
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    finally:
        lock.release()
