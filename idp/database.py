"""Column types and helpers shared by every package's models."""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from idp import sqlite_checkpoints


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A random identifier for rows whose id may be seen outside (32 hex characters)."""
    return uuid.uuid4().hex


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite drops the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    """SQLite on the embedded default: WAL with synchronous=NORMAL makes a commit ~80 µs instead of an
    fsync'd rollback journal (~30 ms here), and lets readers run beside the one writer; busy_timeout
    makes concurrent workers wait for the write lock instead of failing. SQLite ignores foreign keys
    unless asked, which would let an orphan row through that PostgreSQL refuses: ask. secure_delete zeroes
    whatever a delete frees, so deleted personal data (and a crypto-shredded data key) does not linger in
    free pages of the file, whichever statement freed the page. WAL checkpoints run on a thread of their own
    (``idp.sqlite_checkpoints``), not in whichever request's commit crosses the threshold."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA wal_autocheckpoint={sqlite_checkpoints.SAFETY_NET_PAGES}")
    cursor.close()
    sqlite_checkpoints.ensure_checkpointer(sqlite_checkpoints.database_file(dbapi_connection))
