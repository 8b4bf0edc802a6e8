"""Staff roles: officer, client administrator, auditor, role administrator. Each grant and revocation is
audited. Role administrators change other people's roles in the console (``change_roles``); the command line
bootstraps the first one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from idp import audit
from idp.accounts import contacts
from idp.accounts.errors import InvalidContact
from idp.accounts.models import User
from idp.accounts.services import find_user_by_contact
from idp.extensions import db
from idp.officers.errors import LastRoleAdministrator, OwnRolesRefused, UnknownRole, UnverifiedStaffAccount
from idp.officers.models import ROLE_NAMES, ROLE_ROLE_ADMIN, ROLES, UserRole

ROLE_ALIASES = {
    "client-admin": "client_admin",
    "client-administrator": "client_admin",
    "role-admin": "role_admin",
    "role-administrator": "role_admin",
}


@dataclass(frozen=True)
class RoleChanges:
    granted: tuple[str, ...]
    removed: tuple[str, ...]


def role_named(name: str) -> str:
    role = ROLE_ALIASES.get(name, name)
    if role not in ROLES:
        raise UnknownRole(f"Role must be one of {', '.join(ROLES)}")
    return role


def roles_of(user: User | None) -> frozenset[str]:
    if user is None:
        return frozenset()
    return frozenset(db.session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))


def has_role(user: User | None, role: str) -> bool:
    return role in roles_of(user)


def staff_accounts() -> list[tuple[User, frozenset[str]]]:
    """Every account holding at least one staff role, with its roles, by name."""
    held: dict[str, set[str]] = {}
    for user_id, role in db.session.execute(select(UserRole.user_id, UserRole.role)):
        held.setdefault(user_id, set()).add(role)
    users: list[User] = list(db.session.scalars(select(User).where(User.id.in_(held)))) if held else []
    return sorted(((user, frozenset(held[user.id])) for user in users), key=lambda row: row[0].display_name)


def find_account(admin: User, contact: str) -> User | None:
    """Exact look-up by email address or mobile number, audited (it tells whether an account exists)."""
    try:
        contacts.parse_contact(contact)
    except InvalidContact:
        return None
    user = find_user_by_contact(contact)
    audit.record(
        admin,
        ROLE_ROLE_ADMIN,
        "staff.looked_up",
        subject_user_id=user.id if user else None,
        details={"by": "contact", "matches": int(bool(user))},
    )
    return user


def describe_changes(user: User, changes: RoleChanges) -> str:
    """One sentence for the page after a change."""
    parts = [f"now holds {_names(changes.granted)}" if changes.granted else ""]
    parts.append(f"no longer holds {_names(changes.removed)}" if changes.removed else "")
    said = " and ".join(part for part in parts if part)
    return f"{user.display_name} {said}." if said else f"No change: {user.display_name}'s roles are as they were."


def _names(roles: tuple[str, ...]) -> str:
    return ", ".join(ROLE_NAMES[role].lower() for role in roles)


def grant_role(user: User, role: str, by: User | None, by_role: str = "cli") -> bool:
    """Give ``user`` the role (audited). False when they held it already."""
    role = role_named(role)
    if has_role(user, role):
        return False
    db.session.add(UserRole(user_id=user.id, role=role, granted_by=by.id if by else audit.CLI_ACTOR))
    _audit(by, by_role, "role.granted", user, role)
    return True


def revoke_role(user: User, role: str, by: User | None, by_role: str = "cli") -> bool:
    """Take the role away (audited). False when they did not hold it; ``LastRoleAdministrator`` when it is
    the last role administrator's, from the console and the command line alike."""
    role = role_named(role)
    if role == ROLE_ROLE_ADMIN:
        _refuse_removing_the_last_administrator(user)
    result: Any = db.session.execute(delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == role))
    if not result.rowcount:
        db.session.rollback()
        return False
    _audit(by, by_role, "role.revoked", user, role)
    return True


def change_roles(admin: User, user: User, wanted: Iterable[str]) -> RoleChanges:
    """A role administrator sets ``user``'s roles to ``wanted``: each grant and removal is audited with
    ``admin`` as the actor. Nobody changes their own roles."""
    if admin.id == user.id:
        raise OwnRolesRefused("You cannot change your own roles. Ask another role administrator.")
    target = {role_named(role) for role in wanted}
    held = roles_of(user)
    if target - held and not (user.is_active and user.contact_verified):
        # A staff role on an address nobody has proved they hold would hand the console to whoever claims it.
        raise UnverifiedStaffAccount(
            f"{user.display_name} has not confirmed their email address or mobile number yet, "
            "or the account is disabled. They must sign in and confirm it first."
        )
    removed = tuple(role for role in ROLES if role in held - target)
    if ROLE_ROLE_ADMIN in removed:
        _refuse_removing_the_last_administrator(user)
    granted = tuple(role for role in ROLES if role in target - held and grant_role(user, role, admin, ROLE_ROLE_ADMIN))
    for role in removed:
        revoke_role(user, role, admin, ROLE_ROLE_ADMIN)
    return RoleChanges(granted, removed)


def _refuse_removing_the_last_administrator(user: User) -> None:
    # Row locks on PostgreSQL: two administrators removing each other at once cannot both pass this check.
    holders = db.session.scalars(
        select(UserRole.user_id).where(UserRole.role == ROLE_ROLE_ADMIN).with_for_update()
    ).all()
    if user.id in holders and len(holders) == 1:
        db.session.rollback()
        name = ROLE_NAMES[ROLE_ROLE_ADMIN].lower()
        raise LastRoleAdministrator(f"{user.display_name} is the last {name}. Make someone else one first.")


def _audit(by: User | None, by_role: str, action: str, user: User, role: str) -> None:
    # The role change and its audit row commit together.
    audit.record(by, by_role, action, subject_user_id=user.id, target=role, details={"role": role})
