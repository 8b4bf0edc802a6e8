"""Vault access as scope strings: ``vault:<module>:<action>``.

Clients ask for modules either with scopes (``vault:tenancy:read``, ``vault:tenancy:*`` for both
actions) or with RFC 9396 ``authorization_details`` of type ``logbook_vault``. Both are normalised to
the same scope strings, so a grant records one kind of thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

VAULT_PREFIX = "vault:"
ACTIONS = ("read", "write")
AUTHORIZATION_DETAILS_TYPE = "logbook_vault"


def vault_scope(module: str, action: str) -> str:
    return f"{VAULT_PREFIX}{module}:{action}"


def parse_vault_scope(scope: str) -> tuple[str, str] | None:
    """``("tenancy", "read")`` for ``vault:tenancy:read``; None for any other scope."""
    parts = scope.split(":")
    if len(parts) != 3 or parts[0] != "vault" or not parts[1] or parts[2] not in ACTIONS:
        return None
    return parts[1], parts[2]


def expand(scopes: Iterable[str]) -> set[str]:
    """``vault:<module>:*`` stands for read and write on the module."""
    result: set[str] = set()
    for scope in scopes:
        if scope.startswith(VAULT_PREFIX) and scope.endswith(":*") and scope.count(":") == 2:
            module = scope[len(VAULT_PREFIX) : -2]
            result.update(vault_scope(module, action) for action in ACTIONS)
        else:
            result.add(scope)
    return result


def from_authorization_details(details: Iterable[Mapping[str, Any]] | None) -> set[str]:
    """Scopes for each ``logbook_vault`` entry: ``{"type", "modules" or "module", "actions"}``."""
    result: set[str] = set()
    for entry in details or ():
        if not isinstance(entry, Mapping) or entry.get("type") != AUTHORIZATION_DETAILS_TYPE:
            continue
        modules = entry.get("modules") or ([entry["module"]] if entry.get("module") else [])
        actions = entry.get("actions") or ["read"]
        result.update(
            vault_scope(str(module), str(action)) for module in modules for action in actions if action in ACTIONS
        )
    return result


def modules_of(scopes: Iterable[str]) -> dict[str, set[str]]:
    """``{"tenancy": {"read"}}`` from the vault scopes among ``scopes``."""
    modules: dict[str, set[str]] = {}
    for scope in scopes:
        parsed = parse_vault_scope(scope)
        if parsed:
            modules.setdefault(parsed[0], set()).add(parsed[1])
    return modules


def is_vault_scope(scope: str) -> bool:
    return parse_vault_scope(scope) is not None


def requested_days(details: Iterable[Mapping[str, Any]] | None) -> int | None:
    """The longest ``duration_days`` a ``logbook_vault`` entry proposes, if any."""
    days = [
        entry["duration_days"]
        for entry in details or ()
        if isinstance(entry, Mapping)
        and entry.get("type") == AUTHORIZATION_DETAILS_TYPE
        and isinstance(entry.get("duration_days"), int)
    ]
    return max(days) if days else None
