"""The audit trail: append-only and hash-chained, like the access log; auditors can read and check it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from idp import audit
from idp.audit import AuditEvent
from idp.extensions import db
from tests.builders import create_user
from tests.officers.helpers import create_staff, signed_in_as
from tests.web_helpers import sign_in


def _three_rows() -> None:
    officer = create_staff("officer")
    citizen = create_user(email="ada@example.org")
    for action in ("citizen.viewed", "identity.checked", "assisted.started"):
        audit.record(officer, "officer", action, subject_user_id=citizen.id)


def test_the_chain_verifies_when_untouched(app: Flask) -> None:
    _three_rows()
    report = audit.verify_chain()
    assert report.ok and report.rows == 4  # the role grant and three actions


def test_changing_a_row_breaks_the_chain_at_that_row(app: Flask) -> None:
    _three_rows()
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor_name="someone else"))
    db.session.commit()
    report = audit.verify_chain()
    assert not report.ok and report.bad_seq == 2


def test_deleting_the_newest_row_is_noticed(app: Flask) -> None:
    _three_rows()
    db.session.query(AuditEvent).filter(AuditEvent.seq == 4).delete()
    db.session.commit()
    assert not audit.verify_chain().ok


def test_the_auditor_page_shows_the_trail_and_its_state(client: FlaskClient) -> None:
    _three_rows()
    signed_in_as(client, "auditor")
    page = client.get("/audit-trail").get_data(as_text=True)
    assert "The hash chain is intact" in page
    assert "identity.checked" in page


def test_reading_the_trail_is_itself_audited(client: FlaskClient) -> None:
    auditor = signed_in_as(client, "auditor")
    client.get("/audit-trail")
    assert db.session.query(AuditEvent).filter_by(action="audit.viewed", actor_id=auditor.id).count() == 1


def test_cli_verify_audit_reports_an_intact_chain(app: Flask) -> None:
    _three_rows()
    result = app.test_cli_runner().invoke(args=["officers", "verify-audit"])
    assert result.exit_code == 0 and "Audit trail intact: 4 rows" in result.output


def test_cli_verify_audit_fails_on_a_broken_chain(app: Flask) -> None:
    _three_rows()
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(action="nothing.happened"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["officers", "verify-audit"])
    assert result.exit_code == 1 and "row 3" in result.output


def test_the_citizen_sees_only_actions_on_their_own_account(app: Flask, client: FlaskClient) -> None:
    _three_rows()
    create_user(email="bola@example.org")
    sign_in(client, "bola@example.org")
    page = client.get("/account/activity").get_data(as_text=True)
    assert "Council staff have not done anything on your account" in page
