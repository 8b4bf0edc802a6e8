"""RFC 9396 Rich Authorization Requests: the ``logbook_vault`` authorization details type.

A client may ask for vault modules with ``authorization_details`` instead of (or as well as) scopes::

    [{"type": "logbook_vault", "modules": ["tenancy", "money"], "actions": ["read"], "duration_days": 30}]

``actions`` defaults to ``["read"]``; ``duration_days`` (1 to 365) proposes how long the grant lasts. The
entries normalise to the same ``vault:<module>:<action>`` scopes as ``consent.scopes``, so a grant records
one kind of thing, and what was granted goes back to the client in the same shape (token response and
introspection, RFC 9396 sections 7 and 9.2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from consent import scopes as vault_scopes
from consent.services import MAX_DURATION_DAYS

TYPE = vault_scopes.AUTHORIZATION_DETAILS_TYPE
FIELDS = frozenset({"type", "modules", "actions", "duration_days"})
MAX_ENTRIES = 10


class InvalidAuthorizationDetails(ValueError):
    """RFC 9396 section 5: unknown type, unknown field, wrong field type or value, or a missing field."""


def parse(raw: str, allowed_modules: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The entries of an ``authorization_details`` parameter (a JSON array), checked against the type
    definition and the client's registered modules (none registered: any catalogue module)."""
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise InvalidAuthorizationDetails("authorization_details must be a JSON array.") from error
    if not isinstance(value, list) or not value:
        raise InvalidAuthorizationDetails("authorization_details must be a non-empty JSON array of objects.")
    if len(value) > MAX_ENTRIES:
        raise InvalidAuthorizationDetails(f"authorization_details may hold at most {MAX_ENTRIES} entries.")
    allowed = frozenset(allowed_modules)
    return [_entry(item, allowed) for item in value]


def _entry(item: object, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise InvalidAuthorizationDetails("Each authorization detail must be an object with a type.")
    if item["type"] != TYPE:
        raise InvalidAuthorizationDetails(f"Unknown authorization details type; this server supports {TYPE}.")
    # The client's own text is never echoed: error_description allows only a narrow set of characters.
    if not set(item) <= FIELDS:
        raise InvalidAuthorizationDetails(f"A {TYPE} detail may only have: {', '.join(sorted(FIELDS))}.")
    entry: dict[str, Any] = {
        "type": TYPE,
        "modules": _modules(item.get("modules"), allowed),
        "actions": _actions(item.get("actions", ["read"])),
    }
    if "duration_days" in item:
        entry["duration_days"] = _days(item["duration_days"])
    return entry


def _strings(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidAuthorizationDetails(f"{name} must be a non-empty array of strings.")
    return sorted(set(value))


def _modules(value: object, allowed: frozenset[str]) -> list[str]:
    from vault.catalogue import MODULE_NAMES

    modules = _strings(value, "modules")
    if not set(modules) <= set(MODULE_NAMES):
        raise InvalidAuthorizationDetails(f"Unknown vault module; the modules are: {', '.join(MODULE_NAMES)}.")
    outside = [m for m in modules if allowed and m not in allowed]
    if outside:
        raise InvalidAuthorizationDetails(f"This client is not registered for the module: {', '.join(outside)}.")
    return modules


def _actions(value: object) -> list[str]:
    actions = _strings(value, "actions")
    if not set(actions) <= set(vault_scopes.ACTIONS):
        raise InvalidAuthorizationDetails("actions may only be read and write.")
    return actions


def _days(value: object) -> int:
    # bool is an int in Python, but true is not a number of days.
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DURATION_DAYS:
        raise InvalidAuthorizationDetails(f"duration_days must be a whole number from 1 to {MAX_DURATION_DAYS}.")
    return value


def granted(scopes: Iterable[str]) -> list[dict[str, Any]]:
    """The vault scopes among ``scopes`` as ``logbook_vault`` entries, one per set of actions."""
    by_actions: dict[tuple[str, ...], list[str]] = {}
    for module, actions in sorted(vault_scopes.modules_of(scopes).items()):
        by_actions.setdefault(tuple(sorted(actions)), []).append(module)
    return [{"type": TYPE, "modules": modules, "actions": list(actions)} for actions, modules in by_actions.items()]
