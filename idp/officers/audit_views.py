"""Auditors' page under /audit-trail (blueprint ``auditor``, guard ``requires_role("auditor")``): the
newest entries of the audit trail and whether its hash chain is intact."""

from __future__ import annotations

from flask import Blueprint, render_template

from idp import audit
from idp.guards import guarded_user
from idp.officers.models import ROLE_AUDITOR, ROLE_NAMES
from idp.officers.navigation import add_staff_navigation

bp = Blueprint("auditor", __name__, url_prefix="/audit-trail")
add_staff_navigation(bp)


@bp.get("")
def trail() -> str:
    report = audit.verify_chain()
    events = audit.recent_events()
    # Reading the trail is itself audited, after the read so the page shows what was there before.
    audit.record(guarded_user(), ROLE_AUDITOR, "audit.viewed", details={"rows": report.rows})
    return render_template("officers/audit_trail.html", events=events, report=report, role_names=ROLE_NAMES)
