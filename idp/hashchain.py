"""Append-only, hash-chained tables: the chaining shared by the access log and the audit trail.

Each row's hash covers its content and the previous row's hash, so changing or deleting any row breaks
every hash after it. Appends first update the single chain-head row (taking the next ``seq`` and reading
the previous hash in one statement): on PostgreSQL that takes a row lock, on SQLite the database write
lock, so concurrent writers queue instead of forking the chain.
A chain needs an event model with ``seq`` (assigned here, never by the database), ``prev_hash`` and
``row_hash``, and a head model with ``id``, ``last_seq`` and ``last_hash``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from idp.extensions import db
from idp.prepared import Prepared

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _canonical(value: Any) -> Any:
    # Microseconds survive both databases; the zone is always UTC (see UTCDateTime).
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(value, datetime) else value


def chain_hash(fields: dict[str, Any], hashed_fields: tuple[str, ...], prev_hash: str) -> str:
    content = {name: _canonical(fields[name]) for name in hashed_fields}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    bad_seq: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH


class HashChain:
    """One chained table and its head row."""

    def __init__(self, event_model: Any, head_model: Any, hashed_fields: tuple[str, ...]) -> None:
        self.event_model = event_model
        self.head_model = head_model
        self.hashed_fields = hashed_fields
        self.events = event_model.__table__
        self.head = head = head_model.__table__
        # Built once: every vault read appends to the access log, so these run on the API's hot path.
        self._take_next = Prepared(
            update(head)
            .where(head.c.id == HEAD_ID)
            .values(last_seq=head.c.last_seq + 1)
            .returning(head.c.last_seq, head.c.last_hash)
        )
        self._inserts: dict[frozenset[str], Prepared] = {}  # one per set of columns given (one in practice)
        self._set_hash = Prepared(update(head).where(head.c.id == HEAD_ID).values(last_hash=bindparam("new_hash")))

    def row_hash(self, fields: dict[str, Any], prev_hash: str) -> str:
        return chain_hash(fields, self.hashed_fields, prev_hash)

    def lock_head(self) -> tuple[int, str]:
        """Take the next place in the chain for this transaction: ``(seq, prev_hash)``.

        One ``UPDATE ... RETURNING`` moves ``last_seq`` on and reads the previous row's hash in the same
        statement, so the read happens under the lock it takes (PostgreSQL's row lock, SQLite's write
        lock) and no other writer can take the same place; the lock lasts until the caller commits.
        The head row is created on first use."""
        row = self._take_next.first()
        if row is None:
            self._create_head()
            row = self._take_next.first()
        return int(row.last_seq), str(row.last_hash)

    def _create_head(self) -> None:
        # Two first-ever writers may race to create the head: the loser's insert fails and it uses the winner's.
        try:
            with db.session.begin_nested():
                db.session.execute(insert(self.head).values(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        except IntegrityError:
            pass

    def append(self, fields: dict[str, Any]) -> Any:
        """Lock the head and write one row (the caller commits). Returns a detached copy of the row."""
        return self.append_after(self.lock_head(), fields)

    def append_after(self, place: tuple[int, str], fields: dict[str, Any]) -> Any:
        """Write one row at a place taken with ``lock_head`` (the caller commits). Returns a detached copy."""
        return self.event_model(**self.write_row(place, fields))

    def write_row(self, place: tuple[int, str], fields: dict[str, Any]) -> dict[str, Any]:
        """``append_after`` without building the model object (which costs more than the two statements, and
        on the access log's hot path runs while other appenders wait). Returns the row's values."""
        seq, prev_hash = place
        row = {**fields, "seq": seq, "prev_hash": prev_hash}
        row["row_hash"] = self.row_hash(row, prev_hash)
        self._insert_for(frozenset(row)).execute(row)
        self._set_hash.execute({"new_hash": row["row_hash"]})
        return row

    def _insert_for(self, columns: frozenset[str]) -> Prepared:
        prepared = self._inserts.get(columns)
        if prepared is None:
            prepared = self._inserts[columns] = Prepared(insert(self.events), column_keys=sorted(columns))
        return prepared

    def verify(self, checkpoint: str | None = None) -> ChainReport:
        """Recompute every hash in order; name the first row that does not fit. A ``checkpoint`` (a head
        hash noted earlier, elsewhere) must still be in the chain: that catches a rewrite from some row on."""
        expected_prev, count, found_checkpoint = GENESIS_HASH, 0, checkpoint in (None, GENESIS_HASH)
        model = self.event_model
        statement = select(model).order_by(model.seq).execution_options(yield_per=1000)
        for event in db.session.execute(statement).scalars():
            problem = self._row_problem(event, count + 1, expected_prev)
            if problem:
                return ChainReport(False, count, event.seq, problem)
            expected_prev, count = event.row_hash, count + 1
            found_checkpoint = found_checkpoint or event.row_hash == checkpoint
        head = db.session.get(self.head_model, HEAD_ID)
        if head is not None and (head.last_seq != count or head.last_hash != expected_prev):
            return ChainReport(False, count, head.last_seq, "rows after the last good row were removed")
        if not found_checkpoint:
            return ChainReport(False, count, None, "the checkpoint hash is not in the chain: it was rewritten")
        return ChainReport(True, count, head_hash=expected_prev)

    def _row_problem(self, event: Any, expected_seq: int, expected_prev: str) -> str | None:
        if event.seq != expected_seq:
            return f"row {expected_seq} is missing"
        if event.prev_hash != expected_prev:
            return "previous-hash link broken"
        fields = {name: getattr(event, name) for name in self.hashed_fields}
        if self.row_hash(fields, event.prev_hash) != event.row_hash:
            return "content does not match its hash"
        return None
