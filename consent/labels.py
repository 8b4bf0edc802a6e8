"""Plain-language names for vault modules, scopes and organisation types, for pages and messages."""

from __future__ import annotations

from consent import scopes as vault_scopes

ORGANISATION_TYPE_LABELS = {
    "council_service": "Council service",
    "landlord": "Landlord",
    "gp_practice": "GP practice",
    "employer": "Employer",
    "support_agency": "Support organisation",
    "identity_portal": "Identity portal",
}
ACTION_LABELS = {"read": "they can see it", "write": "they can add to it and change it"}
SCOPE_LABELS = {
    "openid": "Know it is you when you sign in",
    "profile": "Your name",
    "email": "Your email address",
    "phone": "Your phone number",
    "address": "Your address",
    "offline_access": "Keep access when you are not signed in",
    "identity_assurance": "Proof that a council officer has checked your identity documents, "
    "with the name, date of birth and postcode they checked",
}


def module_title(module: str) -> str:
    """The vault catalogue's title for the module, or a readable version of its name."""
    try:
        from vault import catalogue

        return catalogue.get(module).title
    except Exception:  # noqa: BLE001  unknown module or catalogue not available: fall back to the name
        return module.replace("_", " ").capitalize()


def module_description(module: str) -> str:
    try:
        from vault import catalogue

        return catalogue.get(module).description
    except Exception:  # noqa: BLE001
        return ""


def scope_label(scope: str) -> str:
    parsed = vault_scopes.parse_vault_scope(scope)
    if parsed is None:
        return SCOPE_LABELS.get(scope, scope)
    module, action = parsed
    return f"{module_title(module)} – {ACTION_LABELS[action]}"


def organisation_type_label(kind: str | None) -> str:
    return ORGANISATION_TYPE_LABELS.get(kind or "", "Organisation")


def scope_hint(scope: str) -> str:
    """What a vault scope covers, from the catalogue's description of the module."""
    parsed = vault_scopes.parse_vault_scope(scope)
    return module_description(parsed[0]) if parsed else ""


def duration_label(days: int) -> str:
    named = {7: "1 week", 30: "1 month", 90: "3 months", 180: "6 months", 365: "1 year"}
    return named.get(days, f"{days} days")
