"""Domain errors of the officer console."""

from __future__ import annotations

from idp.errors import Conflict, DomainError, Forbidden


class UnknownRole(DomainError):
    code = "unknown_role"


class CodeRefused(DomainError):
    """An activation or assist code is wrong, spent, expired or tried too often (``field`` names the input)."""

    code = "code_refused"


class AssistedSessionRequired(Forbidden):
    """The action needs the citizen present: a live assisted session they started with their code."""

    code = "assisted_session_required"


class AccountAlreadyExists(Conflict):
    code = "account_exists"


class OwnRolesRefused(Forbidden):
    """Nobody changes their own staff roles: another role administrator must."""

    code = "own_roles"


class LastRoleAdministrator(Conflict):
    """Removing this role would leave nobody able to give or take away staff roles."""

    code = "last_role_administrator"


class UnverifiedStaffAccount(Conflict):
    """Staff roles go only to active accounts whose email address or mobile number is confirmed."""

    code = "unverified_account"
