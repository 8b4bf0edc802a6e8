"""Start page, the pages a council publishes about the service (privacy, accessibility, cookies), and
health checks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from idp.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
def start() -> str:
    return render_template("main/start.html")


@bp.get("/privacy")
def privacy() -> str:
    return render_template("main/privacy.html", **_contact("DATA_PROTECTION_EMAIL"))


@bp.get("/accessibility")
def accessibility() -> str:
    return render_template("main/accessibility.html", **_contact("ACCESSIBILITY_EMAIL"))


def _contact(email_setting: str) -> dict[str, str]:
    """Whom the page tells people to write to, from the configuration (idp/config.py)."""
    config = current_app.config
    return {"contact_email": config[email_setting] or "", "postal_address": config["COUNCIL_POSTAL_ADDRESS"] or ""}


@bp.get("/cookies")
def cookies() -> str:
    """The one cookie Logbook sets, named and timed from the running configuration so the page stays true."""
    config = current_app.config
    return render_template(
        "main/cookies.html",
        cookie_name=config["SESSION_COOKIE_NAME"],
        idle_minutes=int(config["SESSION_IDLE_TIMEOUT"].total_seconds() // 60),
        absolute_hours=int(config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() // 3600),
    )


@bp.get("/healthz")
def health() -> Any:
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def ready() -> Any:
    """Readiness: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
