"""Consent rules: what is still missing, recording a decision, the live grant, narrowing, extending,
revoking, and whether a vault call is allowed.

The authorization endpoint calls ``missing_consent`` and, after the consent page, ``record_consent``;
the vault's policy calls ``grant_allows``; the vault API calls ``log_access``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from consent import scopes as vault_scopes
from consent.access_log import log_access  # noqa: F401  (the vault API imports it from here)
from consent.grant_check import grant_allows  # noqa: F401  (the vault's policy asks it on every call)
from consent.models import LAWFUL_BASES, METHOD_ASSISTED, METHOD_OAUTH_CONSENT, METHODS, Grant, GrantModule, live_key
from consent.receipts import issue_receipt
from idp.database import utcnow
from idp.errors import Conflict, DomainError, NotFound
from idp.extensions import db
from idp.prepared import Prepared

DEFAULT_DURATION_DAYS = 90
MAX_DURATION_DAYS = 365
DURATION_CHOICES = (7, 30, 90, 180, 365)
# The one sign-in requirement a citizen may put on a grant (issue 5): a second factor or passkey, within
# 15 minutes, each time the organisation uses it.
STEP_UP_ACR = "urn:logbook:acr:two-factor"  # idp.authn.levels.ACR_TWO_FACTOR; a passkey meets it too
STEP_UP_MAX_AGE = 15 * 60
# Signing in to the council's own services needs no consent page; these scopes carry no vault data.
IDENTITY_SCOPES = frozenset({"openid", "profile", "email", "phone", "address", "offline_access"})


# Keyword default of the checks below: read the live grant here (the caller has not already).
LOOK_UP: Any = object()


class InvalidConsent(DomainError):
    code = "invalid_consent"


class ClientLike(Protocol):
    client_id: str


@dataclass(frozen=True)
class ConsentPrompt:
    """What the consent page must ask: the scopes (vault scopes included) not yet decided."""

    client_id: str
    missing: frozenset[str]
    already_granted: frozenset[str]
    purpose: str
    proposed_days: int

    @property
    def modules(self) -> dict[str, set[str]]:
        return vault_scopes.modules_of(self.missing)

    @property
    def other_scopes(self) -> frozenset[str]:
        return frozenset(s for s in self.missing if not vault_scopes.is_vault_scope(s))

    @property
    def duration_choices(self) -> list[int]:
        return sorted({d for d in DURATION_CHOICES if d <= self.proposed_days} | {self.proposed_days})

    def decide(
        self, accepted: Iterable[str], duration_days: int | None = None, step_up: bool | None = None
    ) -> ConsentDecision:
        """The citizen ticked ``accepted``; everything else asked is rejected (and not asked again).
        ``step_up``: their answer to "ask for a second factor each time" (None: not asked, keep as is)."""
        accepted_set = vault_scopes.expand(accepted) & self.missing
        return ConsentDecision(
            granted=frozenset(accepted_set),
            rejected=self.missing - accepted_set,
            duration_days=duration_days or self.proposed_days,
            purpose=self.purpose,
            step_up=step_up,
        )


@dataclass(frozen=True)
class ConsentDecision:
    granted: frozenset[str]
    rejected: frozenset[str] = frozenset()
    duration_days: int = DEFAULT_DURATION_DAYS
    purpose: str = ""
    method: str = METHOD_OAUTH_CONSENT
    lawful_basis: str = "consent"
    # Method "assisted" only: the officer acting alongside the citizen and their live assisted session.
    officer_id: str | None = None
    assisted_session_id: str | None = None
    # The citizen's answer to "ask for a second factor each time"; None when the page did not ask.
    step_up: bool | None = None


# -- asking ------------------------------------------------------------------------------------------
def requested_scopes(
    scopes: Iterable[str], authorization_details: Iterable[Mapping[str, Any]] | None, client: Any = None
) -> set[str]:
    """Scopes and authorization details as one set of scope strings; vault modules outside the client's
    registered ``allowed_modules`` (when it lists any) are dropped, never offered to the citizen."""
    asked = vault_scopes.expand(scopes) | vault_scopes.from_authorization_details(authorization_details)
    allowed = set(getattr(client, "allowed_modules", None) or ())
    if not allowed:
        return asked
    return {s for s in asked if (parsed := vault_scopes.parse_vault_scope(s)) is None or parsed[0] in allowed}


def chosen_duration(value: object, proposed_days: int) -> int:
    """The citizen's choice of duration from the consent page: one of the offered choices, never longer
    than the client proposed; anything else falls back to the proposal."""
    try:
        days = int(str(value))
    except ValueError:
        return proposed_days
    return days if 1 <= days <= proposed_days else proposed_days


def proposed_duration(client: ClientLike, requested_days: int | None = None) -> int:
    """The client proposes (registration or request), capped at a year; 90 days when it says nothing."""
    days = requested_days or getattr(client, "grant_duration_days", None) or DEFAULT_DURATION_DAYS
    return max(1, min(int(days), MAX_DURATION_DAYS))


def missing_consent(
    user: Any,
    client: ClientLike,
    scopes: Iterable[str],
    authorization_details: Iterable[Mapping[str, Any]] | None = None,
    *,
    grant: Any = LOOK_UP,
) -> ConsentPrompt | None:
    """None when the citizen has already decided on everything asked; else what to ask them. ``grant``:
    the live grant (or None) when the caller has already read it (``live_grant_summary``)."""
    asked = requested_scopes(scopes, authorization_details, client)
    if getattr(client, "first_party", False):
        asked -= IDENTITY_SCOPES
    if grant is LOOK_UP:
        grant = live_grant_summary(user.id, client.client_id)
    decided = (grant.granted | grant.rejected) if grant else frozenset()
    missing = frozenset(asked - decided)
    if not missing:
        return None
    return ConsentPrompt(
        client_id=client.client_id,
        missing=missing,
        already_granted=grant.granted if grant else frozenset(),
        purpose=getattr(client, "purpose", None) or "",
        proposed_days=proposed_duration(client, vault_scopes.requested_days(authorization_details)),
    )


def effective_scopes(user: Any, client: ClientLike, scopes: Iterable[str], *, grant: Any = LOOK_UP) -> frozenset[str]:
    """The requested scopes the citizen allows now (for the token): granted ones, plus identity scopes
    for first-party services. ``grant`` as for ``missing_consent``."""
    asked = vault_scopes.expand(scopes)
    if grant is LOOK_UP:
        grant = live_grant_summary(user.id, client.client_id)
    allowed = set(grant.granted) if grant else set()
    if getattr(client, "first_party", False):
        allowed |= IDENTITY_SCOPES
    return frozenset(asked & allowed)


def refresh_scopes(user_id: str | None, client_id: str, grant_id: str | None, scopes: Iterable[str]) -> frozenset[str]:
    """What a refreshed token may still carry: vault scopes only while the grant still grants them (it may
    have been narrowed, have expired or been revoked since). Empty when vault scopes were dropped and
    nothing but ``offline_access`` would be left: the token was for sharing that has ended."""
    asked = frozenset(scopes)
    vault = {scope for scope in asked if vault_scopes.is_vault_scope(scope)}
    if not vault or user_id is None:
        return asked
    remaining = asked - (vault - _granted_now(user_id, client_id, grant_id))
    dropped = asked != remaining
    if dropped and not remaining - {"offline_access"}:
        return frozenset()
    return remaining


def _granted_now(user_id: str, client_id: str, grant_id: str | None) -> frozenset[str]:
    """The scopes the token's grant (else the live grant of user and client) grants now; one Core query,
    as the token endpoint is a hot path."""
    table = Grant.__table__
    statement = (
        select(table.c.scopes_granted)
        .where(table.c.user_id == user_id, table.c.client_id == client_id)
        .where(table.c.revoked_at.is_(None), table.c.expires_at > utcnow())
        .order_by(table.c.created_at.desc())
        .limit(1)
    )
    if grant_id:
        statement = statement.where(table.c.id == grant_id)
    return frozenset((db.session.scalar(statement) or "").split())


@dataclass(frozen=True)
class LiveGrant:
    """What the authorization endpoint needs of the live grant: its id (the tokens name it, so that
    withdrawing consent revokes them) and what the citizen has decided."""

    id: str
    granted: frozenset[str]
    rejected: frozenset[str]
    asks_for_step_up: bool


def _live_grant_statement() -> Any:
    table = Grant.__table__
    now = bindparam("now", type_=table.c.expires_at.type)
    return (
        select(table.c.id, table.c.scopes_granted, table.c.scopes_rejected, table.c.min_acr, table.c.max_auth_age)
        .where(table.c.user_id == bindparam("user_id"), table.c.client_id == bindparam("client_id"))
        .where(table.c.revoked_at.is_(None), table.c.expires_at > now)
        .order_by(table.c.created_at.desc())
        .limit(1)
    )


# Built once (idp.prepared): every authorization reads it, and loading a Grant (with its client joined)
# cost more than the rest of the consent check.
_LIVE_GRANT = Prepared(_live_grant_statement())


def live_grant_summary(user_id: str, client_id: str) -> LiveGrant | None:
    """The same grant as ``live_grant`` (unexpired, unrevoked, newest), read from the live row as a small
    value rather than an ORM object."""
    row = _LIVE_GRANT.first({"user_id": user_id, "client_id": client_id, "now": utcnow()})
    if row is None:
        return None
    step_up = row.min_acr is not None or row.max_auth_age is not None
    return LiveGrant(row.id, _scope_set(row.scopes_granted), _scope_set(row.scopes_rejected), step_up)


def _scope_set(value: str | None) -> frozenset[str]:
    return frozenset((value or "").split())


# -- recording ---------------------------------------------------------------------------------------
def live_grant(user_id: str, client_id: str) -> Grant | None:
    """The citizen's unexpired, unrevoked grant to this client, if any."""
    statement = (
        select(Grant)
        .where(Grant.user_id == user_id, Grant.client_id == client_id, Grant.revoked_at.is_(None))
        .where(Grant.expires_at > utcnow())
        .order_by(Grant.created_at.desc())
    )
    return db.session.scalars(statement).first()


def record_consent(user: Any, client: ClientLike, decision: ConsentDecision) -> Grant:
    """Merge the decision into the live grant (or start one), issue a receipt, and commit."""
    _check_decision(decision)
    try:
        return _merge_decision(user, client, decision)
    except IntegrityError:
        # A concurrent decision for this citizen and client started the live grant first: join it.
        db.session.rollback()
        return _merge_decision(user, client, decision)


def _locked_live_grant(user_id: str, client_id: str) -> Grant | None:
    """The live grant of (user, client), locked until commit so that concurrent decisions queue instead
    of overwriting each other; an ended grant still holding the slot gives it up.

    The UPDATE comes first: it takes PostgreSQL's row lock and SQLite's write lock before anything is
    read (the same idea as ``idp.hashchain``)."""
    table, key, now = Grant.__table__, live_key(user_id, client_id), utcnow()
    ended = or_(table.c.revoked_at.is_not(None), table.c.expires_at <= now)
    db.session.execute(
        update(table).where(table.c.live_key == key).values(live_key=case((ended, None), else_=table.c.live_key))
    )
    statement = select(Grant).where(Grant.live_key == key).execution_options(populate_existing=True)
    return db.session.scalars(statement).first()


def _merge_decision(user: Any, client: ClientLike, decision: ConsentDecision) -> Grant:
    grant = _locked_live_grant(user.id, client.client_id)
    event = "changed" if grant else "granted"
    if grant is None:
        grant = Grant(user_id=user.id, client_id=client.client_id, method=decision.method)
        db.session.add(grant)
    grant.granted = (grant.granted | decision.granted) - decision.rejected
    grant.rejected = (grant.rejected | decision.rejected) - decision.granted
    grant.purpose = decision.purpose or getattr(client, "purpose", None) or grant.purpose or ""
    grant.lawful_basis = decision.lawful_basis
    grant.expires_at = utcnow() + timedelta(days=decision.duration_days)
    _note_assistance(grant, decision)
    if decision.step_up is not None:
        _set_step_up(grant, decision.step_up)
    _sync_modules(grant)
    db.session.flush()
    issue_receipt(grant, event)
    db.session.commit()
    return grant


def _check_decision(decision: ConsentDecision) -> None:
    if not 1 <= decision.duration_days <= MAX_DURATION_DAYS:
        raise InvalidConsent(f"A grant lasts between 1 and {MAX_DURATION_DAYS} days.", field="duration")
    if decision.method not in METHODS or decision.lawful_basis not in LAWFUL_BASES:
        raise InvalidConsent("Unknown consent method or lawful basis.")
    if (decision.method == METHOD_ASSISTED) != bool(decision.officer_id and decision.assisted_session_id):
        raise InvalidConsent("An assisted decision names its officer and assisted session, and only it does.")


def _note_assistance(grant: Grant, decision: ConsentDecision) -> None:
    """An officer helped: the grant (and so its receipt) says how it was given now, by whom and when."""
    if decision.method != METHOD_ASSISTED:
        return
    grant.method = METHOD_ASSISTED
    grant.assisted_by, grant.assisted_session_id = decision.officer_id, decision.assisted_session_id
    grant.assisted_at = utcnow()


def _sync_modules(grant: Grant) -> None:
    """The per-module rows mirror the granted vault scopes."""
    wanted = vault_scopes.modules_of(grant.granted)
    for stale in list(grant.modules):
        if stale.module not in wanted:
            grant.modules.remove(stale)
    for module, actions in wanted.items():
        entry = grant.module(module)
        if entry is None:
            entry = GrantModule(module=module)
            grant.modules.append(entry)
        entry.can_read = "read" in actions
        entry.can_write = "write" in actions


# -- changing ----------------------------------------------------------------------------------------
def grant_for_user(user_id: str, grant_id: str) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.user_id != user_id:
        raise NotFound("There is no such sharing agreement.")
    return grant


def _require_live(grant: Grant) -> None:
    if not grant.is_live():
        raise Conflict("This sharing has already ended.")


def narrow_grant(grant: Grant, keep: Iterable[str], until: datetime | None = None) -> Grant:
    """Keep only ``keep`` of the granted vault scopes (and optionally end sooner); the rest are rejected."""
    _require_live(grant)
    keep_set = vault_scopes.expand(keep) & grant.granted
    dropped = {s for s in grant.granted - keep_set if vault_scopes.is_vault_scope(s)}
    grant.granted = grant.granted - dropped
    grant.rejected = grant.rejected | dropped
    if until is not None:
        if until > grant.expires_at:
            raise InvalidConsent("Narrowing cannot make sharing last longer.", field="until")
        grant.expires_at = until
    _sync_modules(grant)
    issue_receipt(grant, "narrowed")
    db.session.commit()
    return grant


def extend_grant(grant: Grant, days: int, confirmed: bool) -> Grant:
    """Sharing lasts ``days`` from now (longer or shorter than before); the citizen must confirm afresh."""
    _require_live(grant)
    if not confirmed:
        raise InvalidConsent("Confirm that you want to keep sharing.", field="confirm")
    if not 1 <= days <= MAX_DURATION_DAYS:
        raise InvalidConsent(f"Choose between 1 and {MAX_DURATION_DAYS} days.", field="days")
    until = utcnow() + timedelta(days=days)
    event = "extended" if until > grant.expires_at else "narrowed"
    grant.expires_at = until
    issue_receipt(grant, event)
    db.session.commit()
    return grant


def _set_step_up(grant: Grant, required: bool) -> None:
    grant.min_acr, grant.max_auth_age = (STEP_UP_ACR, STEP_UP_MAX_AGE) if required else (None, None)


def change_step_up(grant: Grant, required: bool) -> Grant:
    """Turn the grant's "second factor each time, within 15 minutes" on or off; a change issues a receipt
    (the next vault call already sees it: the policy reads the live row)."""
    _require_live(grant)
    if grant.asks_for_step_up == required:
        return grant
    _set_step_up(grant, required)
    issue_receipt(grant, "changed")
    db.session.commit()
    return grant


def revoke_grant(grant: Grant, by: str = "citizen") -> Grant:
    """End the grant now: the next vault call is refused, its tokens die, the client is told."""
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = utcnow()
    grant.revoked_by = by
    grant.live_key = None
    issue_receipt(grant, "revoked")
    db.session.commit()
    from idp.oauth2.tokens import revoke_grant_tokens

    revoke_grant_tokens(grant.id)
    from consent.notifications import notify_client_of_revocation

    notify_client_of_revocation(grant)
    return grant


# -- vault -------------------------------------------------------------------------------------------
def grant_for_claims(claims: Any) -> Grant | None:
    """The live grant behind an access token: its ``grant_id`` claim, else the (user, client) grant."""
    user_id = getattr(claims, "user_id", None)
    if user_id is None:
        return None
    grant_id = getattr(claims, "grant_id", None)
    if grant_id:
        grant = db.session.get(Grant, grant_id)
        if grant is None or grant.user_id != user_id or grant.client_id != claims.client_id:
            return None
        return grant if grant.is_live() else None
    return live_grant(user_id, claims.client_id)
