"""Service linking: the first time a citizen uses a council service that requires it, they prove a fact
the service holds about them (``facts.FACTS``); the link is remembered, shown in their account with when
it was last used, and can be removed (then they are asked again).

The answer is compared in constant time and wrong answers are throttled per citizen and service, so the
page cannot be used to find out someone's account number or date of birth.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from clients.models import Client
from idp.accounts.models import User
from idp.database import utcnow
from idp.errors import DomainError
from idp.extensions import db
from idp.linking.facts import Fact, fact_named, normalise_check, normalise_reference
from idp.linking.models import LinkFailure, ServiceLink, ServiceRecord

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
NO_MATCH = "The details you entered do not match the service's records. Check them and try again."
_NO_RECORD = "\x00" * 16  # compared against when no record has the reference, so both paths do the same work


class LinkRefused(DomainError):
    code = "link_refused"


class TooManyLinkAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


class BadServiceRecords(DomainError):
    code = "bad_service_records"


def required_fact(client: Client) -> Fact | None:
    """The fact ``client`` asks citizens to prove, or None when it does not use service linking."""
    return fact_named(client.service_link_fact)


def link_for(user_id: str, client_id: str) -> ServiceLink | None:
    return db.session.scalar(
        select(ServiceLink).where(ServiceLink.user_id == user_id, ServiceLink.client_id == client_id)
    )


def touch(link: ServiceLink) -> None:
    link.last_used_at = utcnow()
    db.session.commit()


def links_of(user: User) -> list[ServiceLink]:
    return list(
        db.session.scalars(
            select(ServiceLink).where(ServiceLink.user_id == user.id).order_by(ServiceLink.last_used_at.desc())
        )
    )


def remove_link(user: User, link_id: str) -> bool:
    """Forget one of the citizen's own links; the service asks for the fact again next time."""
    result = db.session.execute(delete(ServiceLink).where(ServiceLink.user_id == user.id, ServiceLink.id == link_id))
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def link(user: User, client: Client, reference: str, check: str) -> ServiceLink:
    """Link ``user`` to the service record whose reference and second fact they gave."""
    fact = required_fact(client)
    if fact is None:
        raise LinkRefused("This service does not ask you to link an account.")
    _refuse_when_throttled(user, client)
    record = _matching_record(client, fact, reference, check)
    if record is None or _linked_to_someone_else(record, user):
        _record_failure(user, client)
        raise LinkRefused(NO_MATCH, field="reference")
    return _remember(user, client, record)


def _matching_record(client: Client, fact: Fact, reference: str, check: str) -> ServiceRecord | None:
    record = db.session.scalar(
        select(ServiceRecord).where(
            ServiceRecord.client_id == client.client_id, ServiceRecord.reference == normalise_reference(reference)
        )
    )
    given = normalise_check(fact, check) or ""
    expected = record.check_value if record is not None else _NO_RECORD
    matches = hmac.compare_digest(given.encode(), expected.encode())
    return record if matches and record is not None else None


def _linked_to_someone_else(record: ServiceRecord, user: User) -> bool:
    owner = db.session.scalar(select(ServiceLink.user_id).where(ServiceLink.record_id == record.id))
    return owner is not None and owner != user.id


def _remember(user: User, client: Client, record: ServiceRecord) -> ServiceLink:
    existing = link_for(user.id, client.client_id)
    if existing is not None:
        return existing
    row = ServiceLink(user_id=user.id, client_id=client.client_id, record_id=record.id)
    db.session.add(row)
    db.session.execute(
        delete(LinkFailure).where(LinkFailure.user_id == user.id, LinkFailure.client_id == client.client_id)
    )
    try:
        db.session.commit()
    except IntegrityError as error:  # a concurrent submission linked first
        db.session.rollback()
        existing = link_for(user.id, client.client_id)
        if existing is None:
            raise LinkRefused(NO_MATCH, field="reference") from error
        return existing
    return row


def _refuse_when_throttled(user: User, client: Client) -> None:
    since = utcnow() - FAILURE_WINDOW
    failures = db.session.scalar(
        select(func.count())
        .select_from(LinkFailure)
        .where(LinkFailure.user_id == user.id, LinkFailure.client_id == client.client_id, LinkFailure.at > since)
    )
    if (failures or 0) >= MAX_FAILURES:
        raise TooManyLinkAttempts("You have entered the wrong details too many times. Try again in 15 minutes.")


def _record_failure(user: User, client: Client) -> None:
    db.session.add(LinkFailure(user_id=user.id, client_id=client.client_id))
    db.session.commit()


# -- loading a service's records (CLI or officers) ---------------------------------------------------


def import_records(client: Client, fact_name: str, rows: Iterable[Mapping[str, str]]) -> int:
    """Load (or update) a service's records from rows with ``reference`` and ``check`` columns, and make
    the client require that fact. All rows or none: one bad row refuses the whole file."""
    fact = fact_named(fact_name)
    if fact is None:
        raise BadServiceRecords(f"Unknown fact {fact_name!r}: choose one of council_tax, tenancy.")
    parsed = [_parse_row(fact, number, row) for number, row in enumerate(rows, start=2)]
    existing = {
        record.reference: record
        for record in db.session.scalars(select(ServiceRecord).where(ServiceRecord.client_id == client.client_id))
    }
    for reference, check in parsed:
        record = existing.get(reference) or ServiceRecord(client_id=client.client_id, reference=reference)
        record.check_value = check
        existing[reference] = record
        db.session.add(record)
    client.service_link_fact = fact.name
    db.session.commit()
    return len(parsed)


def _parse_row(fact: Fact, number: int, row: Mapping[str, str]) -> tuple[str, str]:
    reference = normalise_reference(row.get("reference") or "")
    check = normalise_check(fact, row.get("check") or "")
    if not reference or check is None:
        raise BadServiceRecords(f"Line {number}: a reference and a valid {fact.check_label.lower()} are needed.")
    return reference, check
