"""The audit trail: every action by an officer, client administrator or auditor (and every role grant),
append-only and hash-chained with the same chaining as the vault access log (``idp.hashchain``).

A row names who acted (``actor_id``, with the name and role they had at the time), what they did, on
whose account (``subject_user_id``) and, when the citizen was present and had let the officer act
alongside them, the assisted session that carried both identities.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from idp.database import UTCDateTime, utcnow
from idp.extensions import db
from idp.hashchain import ChainReport, HashChain

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "action",
    "subject_user_id",
    "target",
    "details",
    "assisted_session_id",
)
CLI_ACTOR = "cli"


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """One audited action. Append-only; ``row_hash`` covers the content and ``prev_hash``."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_user_id", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(64), index=True)  # a user id, or "cli"
    actor_name: Mapped[str] = mapped_column(String(254))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    subject_user_id: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(128))  # a client id, organisation id, grant id ...
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, never a secret
    assisted_session_id: Mapped[str | None] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    @property
    def detail(self) -> dict[str, Any]:
        return json.loads(self.details or "{}")  # type: ignore[no-any-return]


class AuditChainHead(db.Model):  # type: ignore[name-defined]
    """The single row every append locks first, so that concurrent writers cannot fork the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


CHAIN = HashChain(AuditEvent, AuditChainHead, HASHED_FIELDS)


def record(
    actor: Any,
    role: str,
    action: str,
    *,
    subject_user_id: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    assisted_session_id: str | None = None,
    commit: bool = True,
) -> AuditEvent:
    """Append one audit row. ``actor`` is the acting ``User`` or None for the command line. With
    ``commit=False`` the row joins the caller's transaction, so the action and its audit row land together."""
    fields = {
        "occurred_at": utcnow(),
        "actor_id": actor.id if actor is not None else CLI_ACTOR,
        "actor_name": (actor.display_name if actor is not None else "command line")[:254],
        "actor_role": role,
        "action": action,
        "subject_user_id": subject_user_id,
        "target": target,
        "details": json.dumps(details or {}, sort_keys=True, separators=(",", ":")),
        "assisted_session_id": assisted_session_id,
    }
    event = CHAIN.append(fields)
    if commit:
        db.session.commit()
    return event  # type: ignore[no-any-return]


def events_about(user_id: str, limit: int = 200) -> list[AuditEvent]:
    """Actions taken on one citizen's account, newest first (what the citizen is shown)."""
    statement = (
        select(AuditEvent).where(AuditEvent.subject_user_id == user_id).order_by(AuditEvent.seq.desc()).limit(limit)
    )
    return list(db.session.scalars(statement))


def recent_events(limit: int = 100) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)))


def verify_chain(checkpoint: str | None = None) -> ChainReport:
    return CHAIN.verify(checkpoint)
