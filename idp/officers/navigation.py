"""Service-navigation links on staff pages: one per console the signed-in account holds a role for."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

from idp.accounts.sessions import current_user
from idp.officers.roles import roles_of

CONSOLES = (
    ("officer", "officers.home", "Officer console", "/officers"),
    ("client_admin", "client_admin.organisations", "Organisations and services", "/admin"),
    ("auditor", "auditor.trail", "Audit trail", "/audit-trail"),
    ("role_admin", "role_admin.staff", "Staff roles", "/staff"),
)


def home_endpoint(role: str) -> str:
    """The first page of the console ``role`` opens."""
    return next(endpoint for held, endpoint, _text, _prefix in CONSOLES if held == role)


def staff_links() -> list[dict[str, Any]]:
    held = roles_of(current_user())
    return [
        {"href": url_for(endpoint), "text": text, "active": request.path.startswith(prefix)}
        for role, endpoint, text, prefix in CONSOLES
        if role in held
    ]


def add_staff_navigation(blueprint: Blueprint) -> None:
    @blueprint.context_processor
    def navigation() -> dict[str, Any]:
        return {"navigation_items": staff_links()}
