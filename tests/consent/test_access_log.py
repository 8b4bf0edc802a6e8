"""The access log: append-only, hash-chained, checked by `logbook audit verify`."""

from __future__ import annotations

import threading

from sqlalchemy import update

from consent import services
from consent.access_log import GENESIS_HASH, HASHED_FIELDS, row_hash, verify_chain
from consent.models import AccessChainHead, AccessEvent
from idp.database import utcnow
from idp.extensions import db
from idp.mail import read_outbox
from tests.consent.helpers import citizen, grant, landlord_client


def log_reads(user, client, count):
    recorded = grant(user, client, {"vault:tenancy:read"})
    for _ in range(count):
        services.log_access(user.id, client, "tenancy", "read", grant_id=recorded.id)


def test_each_access_is_recorded_with_client_organisation_module_and_grant(app):
    """Every vault read or write by a client is recorded (client, organisation, module, action, grant, time)."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:write"})
    event = services.log_access(user.id, client, "tenancy", "write", grant_id=recorded.id, officer_id="officer-7")
    assert (event.client_id, event.organisation_name, event.module, event.action) == (
        client.client_id,
        client.organisation.name,
        "tenancy",
        "write",
    )
    assert event.grant_id == recorded.id and event.officer_id == "officer-7" and event.occurred_at


def test_each_row_links_to_the_previous_one(app):
    user, client = citizen(), landlord_client()
    log_reads(user, client, 3)
    rows = db.session.scalars(db.select(AccessEvent).order_by(AccessEvent.seq)).all()
    assert [row.prev_hash for row in rows[1:]] == [row.row_hash for row in rows[:-1]]


def test_audit_verify_passes_on_an_untouched_log(app):
    user, client = citizen(), landlord_client()
    log_reads(user, client, 3)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output


def test_tampered_row_fails_audit_verify_naming_the_row(app):
    """Tampering with a log row makes `logbook audit verify` fail and name the row."""
    user, client = citizen(), landlord_client()
    log_reads(user, client, 4)
    db.session.execute(update(AccessEvent).where(AccessEvent.seq == 2).values(module="money"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "row 2" in result.output


def test_deleted_row_is_detected(app):
    user, client = citizen(), landlord_client()
    log_reads(user, client, 3)
    db.session.execute(db.delete(AccessEvent).where(AccessEvent.seq == 2))
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.bad_seq == 3


def test_truncated_tail_is_detected(app):
    user, client = citizen(), landlord_client()
    log_reads(user, client, 3)
    db.session.execute(db.delete(AccessEvent).where(AccessEvent.seq == 3))
    db.session.commit()
    assert not verify_chain().ok


def test_concurrent_writers_do_not_fork_the_chain(app):
    """Concurrent writers must not fork the chain."""
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    user_id, client_id, grant_id = user.id, client.client_id, recorded.id
    errors: list[BaseException] = []

    def writer() -> None:
        with app.app_context():
            try:
                from clients.services import get_client

                mine = get_client(client_id)
                for _ in range(5):
                    services.log_access(user_id, mine, "tenancy", "read", grant_id=grant_id)
            except BaseException as error:  # noqa: BLE001  reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain()
    assert report.ok and report.rows == 20


def test_first_read_by_an_organisation_notifies_the_citizen_once(app, outbox):
    """The citizen is notified the first time an organisation reads a module."""
    user, client = citizen(), landlord_client()
    log_reads(user, client, 3)
    messages = [m for m in read_outbox(outbox) if "has looked at your information" in m["Subject"]]
    assert len(messages) == 1
    assert messages[0]["To"] == user.email


def test_rewriting_the_whole_chain_is_caught_by_an_earlier_checkpoint(app):
    """A rewrite that recomputes every later hash still loses the head hash noted earlier."""
    user, client = citizen(), landlord_client()
    log_reads(user, client, 2)
    checkpoint = verify_chain().head_hash
    prev = GENESIS_HASH
    for event in db.session.scalars(db.select(AccessEvent).order_by(AccessEvent.seq)):
        event.module = "money"
        event.prev_hash = prev
        event.row_hash = prev = row_hash({name: getattr(event, name) for name in HASHED_FIELDS}, prev)
    db.session.get(AccessChainHead, 1).last_hash = prev
    db.session.commit()
    assert verify_chain().ok
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--checkpoint", checkpoint])
    assert result.exit_code == 1 and "checkpoint" in result.output


def first_read_notices(outbox):
    return [m for m in read_outbox(outbox) if "has looked at your information" in m["Subject"]]


def test_first_read_already_logged_by_another_server_process_does_not_notify_again(app, outbox):
    """Workers remember reads they logged themselves; a read another worker logged is still found in the log."""
    from consent.access_log import CHAIN

    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:read"})
    organisation = client.organisation
    fields = {"user_id": user.id, "client_id": client.client_id, "organisation_id": organisation.id}
    fields |= {"organisation_name": organisation.name, "module": "tenancy", "action": "read"}
    CHAIN.append({**fields, "grant_id": recorded.id, "officer_id": None, "occurred_at": utcnow()})
    db.session.commit()
    services.log_access(user.id, client, "tenancy", "read", grant_id=recorded.id)
    assert first_read_notices(outbox) == []
    assert verify_chain().ok


def test_first_read_of_each_module_by_each_organisation_notifies(app, outbox):
    user, client = citizen(), landlord_client()
    other = landlord_client(name="Hillside Homes portal")
    recorded = grant(user, client, {"vault:tenancy:read", "vault:money:read"})
    other_grant = grant(user, other, {"vault:tenancy:read"})
    for module in ("tenancy", "money", "tenancy", "money"):
        services.log_access(user.id, client, module, "read", grant_id=recorded.id)
    services.log_access(user.id, other, "tenancy", "read", grant_id=other_grant.id)
    assert len(first_read_notices(outbox)) == 3


def test_a_write_is_not_a_first_read(app, outbox):
    user, client = citizen(), landlord_client()
    recorded = grant(user, client, {"vault:tenancy:write", "vault:tenancy:read"})
    services.log_access(user.id, client, "tenancy", "write", grant_id=recorded.id)
    assert first_read_notices(outbox) == []
    services.log_access(user.id, client, "tenancy", "read", grant_id=recorded.id)
    assert len(first_read_notices(outbox)) == 1
