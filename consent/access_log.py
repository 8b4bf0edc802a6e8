"""The access log: every vault read or write by a client, append-only and hash-chained.

Each row's hash covers its content and the previous row's hash, so changing or deleting any row
breaks every hash after it. The chaining (head-row lock, append, verification) is shared with the
officers' audit trail: see ``idp.hashchain``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, select

from consent.models import AccessChainHead, AccessEvent
from idp.append_lock import serialised_append
from idp.database import utcnow
from idp.extensions import db
from idp.hashchain import GENESIS_HASH, HEAD_ID, ChainReport, HashChain

__all__ = ["GENESIS_HASH", "HASHED_FIELDS", "HEAD_ID", "ChainReport", "log_access", "row_hash", "verify_chain"]

HASHED_FIELDS = (
    "seq",
    "user_id",
    "client_id",
    "organisation_id",
    "organisation_name",
    "module",
    "action",
    "grant_id",
    "officer_id",
    "occurred_at",
)


CHAIN = HashChain(AccessEvent, AccessChainHead, HASHED_FIELDS)


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return CHAIN.row_hash(fields, prev_hash)


def log_access(
    user_id: str,
    client: Any,
    module: str,
    action: str,
    grant_id: str | None = None,
    officer_id: str | None = None,
) -> AccessEvent:
    """Append one access event and commit (with whatever else the request's transaction holds). The
    first read of a module by an organisation notifies the citizen. ``client`` is the
    ``clients.models.Client`` that made the call (or anything with its ``client_id`` and
    ``organisation.id`` / ``organisation.name``, like ``clients.services.ApiClient``)."""
    organisation = client.organisation
    fields = {
        "user_id": user_id,
        "client_id": client.client_id,
        "organisation_id": organisation.id,
        "organisation_name": organisation.name,
        "module": module,
        "action": action,
        "grant_id": grant_id,
        "officer_id": officer_id,
        "occurred_at": utcnow(),
    }
    reader = (user_id, organisation.id, module)
    # Only what needs the chain's place runs while other appenders wait (idp.append_lock).
    with serialised_append():
        place = CHAIN.lock_head()
        # Checked under the lock, so that two simultaneous first reads notify once.
        first_read = action == "read" and not _seen_before(*reader)
        row = CHAIN.write_row(place, fields)
        db.session.commit()
    event = AccessEvent(**row)
    if action == "read":
        _SEEN_READERS.remember(reader)
    if first_read:
        from consent.notifications import notify_first_read

        notify_first_read(user_id, organisation.name, module)
    return event


class _SeenReaders:
    """(citizen, organisation, module) triples this process knows have a committed read in the log.

    Only a positive answer is kept, and it can never turn false: the log is append-only and ids are
    never reused. So a hit skips the query safely, and a miss still asks the database under the chain
    lock (another process may have logged the first read). Bounded: when full it starts again empty."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.known: set[tuple[str, str, str]] = set()

    def __contains__(self, reader: tuple[str, str, str]) -> bool:
        return reader in self.known

    def remember(self, reader: tuple[str, str, str]) -> None:
        if len(self.known) >= self.limit:
            self.known.clear()
        self.known.add(reader)


_SEEN_READERS = _SeenReaders()
_events = AccessEvent.__table__
# Core, built once: on a cache miss this runs on a vault read.
_READ_BEFORE = select(
    exists().where(
        _events.c.user_id == bindparam("user_id"),
        _events.c.organisation_id == bindparam("organisation_id"),
        _events.c.module == bindparam("module"),
        _events.c.action == "read",
    )
)


def _seen_before(user_id: str, organisation_id: str, module: str) -> bool:
    if (user_id, organisation_id, module) in _SEEN_READERS:
        return True
    params = {"user_id": user_id, "organisation_id": organisation_id, "module": module}
    return bool(db.session.execute(_READ_BEFORE, params).scalar())


def verify_chain(checkpoint: str | None = None) -> ChainReport:
    """Recompute every hash in order; name the first row that does not fit. A ``checkpoint`` (a head
    hash noted earlier, elsewhere) must still be in the chain: that catches a rewrite from some row on."""
    return CHAIN.verify(checkpoint)
