"""Read-side views of a citizen's sharing: who can see what, and who has seen what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from consent.models import AccessEvent, Grant, Receipt
from idp.extensions import db


@dataclass(frozen=True)
class SharingRow:
    grant: Grant
    last_access: datetime | None


def grants_of(user_id: str) -> tuple[list[SharingRow], list[SharingRow]]:
    """(live grants, history of expired and revoked ones), newest first, each with its last access."""
    grants = db.session.scalars(select(Grant).where(Grant.user_id == user_id).order_by(Grant.created_at.desc()))
    last = _last_access_by_grant(user_id)
    rows = [SharingRow(grant, last.get(grant.id)) for grant in grants]
    return [row for row in rows if row.grant.is_live()], [row for row in rows if not row.grant.is_live()]


def _last_access_by_grant(user_id: str) -> dict[str, datetime]:
    statement = (
        select(AccessEvent.grant_id, func.max(AccessEvent.occurred_at))
        .where(AccessEvent.user_id == user_id, AccessEvent.grant_id.is_not(None))
        .group_by(AccessEvent.grant_id)
    )
    return {str(grant_id): _aware(when) for grant_id, when in db.session.execute(statement)}


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the column type, so SQLite hands back a naive string-parsed datetime.
    from idp.database import UTCDateTime

    return UTCDateTime().process_result_value(value, None)  # type: ignore[return-value]


def receipts_of(grant: Grant) -> list[Receipt]:
    statement = select(Receipt).where(Receipt.grant_id == grant.id).order_by(Receipt.created_at)
    return list(db.session.scalars(statement))


def receipt_for_user(user_id: str, receipt_id: str) -> Receipt | None:
    receipt = db.session.get(Receipt, receipt_id)
    return receipt if receipt is not None and receipt.user_id == user_id else None


def access_events(
    user_id: str, organisation_id: str | None = None, module: str | None = None, limit: int = 200
) -> list[AccessEvent]:
    statement = select(AccessEvent).where(AccessEvent.user_id == user_id)
    if organisation_id:
        statement = statement.where(AccessEvent.organisation_id == organisation_id)
    if module:
        statement = statement.where(AccessEvent.module == module)
    return list(db.session.scalars(statement.order_by(AccessEvent.seq.desc()).limit(limit)))


def filter_choices(user_id: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The organisations and modules that appear in the citizen's log, for the filter drop-downs."""
    organisations = db.session.execute(
        select(AccessEvent.organisation_id, AccessEvent.organisation_name)
        .where(AccessEvent.user_id == user_id)
        .distinct()
        .order_by(AccessEvent.organisation_name)
    ).all()
    modules = db.session.scalars(
        select(AccessEvent.module).where(AccessEvent.user_id == user_id).distinct().order_by(AccessEvent.module)
    ).all()
    return [(row[0], row[1]) for row in organisations], list(modules)
