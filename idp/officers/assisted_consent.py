"""Consent given with an officer alongside: at a council counter or on the phone, inside a live assisted
window, the citizen answers an organisation's pending access request or shares modules with a service.

The grant records method ``assisted``, the officer and the assisted session (so its consent receipt says
so, and the citizen's sharing pages show who helped and when); the officer's audit row names the session;
the citizen is told through the outbox. The officer sees only what is asked for or shared (organisation,
modules, purpose), never what the vault holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from clients.models import Client
from consent import access_requests
from consent import scopes as vault_scopes
from consent.models import METHOD_ASSISTED, AccessRequest, Grant
from consent.services import ConsentDecision, InvalidConsent, proposed_duration, record_consent
from idp import audit
from idp.accounts.models import User
from idp.errors import NotFound
from idp.extensions import db
from idp.officers import assisted
from idp.officers.models import ROLE_OFFICER, AssistedSession

AGREEMENT_MISSING = "Confirm that the citizen has heard what will be shared and agrees"


def pending_requests(user: User) -> list[AccessRequest]:
    """The citizen's access requests still waiting for an answer."""
    return [row for row in access_requests.requests_for(user) if row.status == "pending"]


def sharing_services() -> list[Client]:
    """Services a citizen can share vault modules with from the counter: enabled, with allowed modules."""
    statement = select(Client).where(Client.disabled_at.is_(None)).order_by(Client.name)
    return [client for client in db.session.scalars(statement) if offered_scopes(client)]


def offered_scopes(client: Client) -> list[str]:
    """The vault scopes the service registered for, within its allowed modules."""
    allowed = set(client.allowed_modules or ())
    registered = vault_scopes.expand((client.scope or "").split())
    return sorted(s for s in registered if (parsed := vault_scopes.parse_vault_scope(s)) and parsed[0] in allowed)


def answer_request(
    officer: User, user: User, request_id: str, chosen: Iterable[str] | None, agreed: bool
) -> Grant | None:
    """Approve (``chosen`` vault scopes, a subset of those asked) or decline (``chosen`` is None) a pending
    request with the citizen. Returns the grant on approval."""
    window = assisted.require_session(officer, user)
    found = access_requests.request_for_user(user, request_id)
    if chosen is None:
        access_requests.decline(found)
        details = {"request": found.id, "organisation": found.client.organisation.name}
        _audit(officer, window, "access_request.declined", found.client_id, details)
        return None
    _require_agreement(agreed)
    modules = {module: sorted(actions) for module, actions in vault_scopes.modules_of(chosen).items()}
    grant = access_requests.approve(found, user, modules, assisted=(officer.id, window.id))
    _after_grant(officer, window, grant, "access_request.approved", {"request": found.id})
    return grant


def give_grant(officer: User, user: User, client_id: str, chosen: Iterable[str], days: int, agreed: bool) -> Grant:
    """The citizen shares ``chosen`` of what the service registered for, for ``days``, with help."""
    window = assisted.require_session(officer, user)
    client = sharing_service(client_id)
    _require_agreement(agreed)
    granted = frozenset(vault_scopes.expand(chosen)) & set(offered_scopes(client))
    if not granted:
        raise InvalidConsent("Choose at least one kind of information to share", field="scopes")
    decision = ConsentDecision(
        granted=granted,
        duration_days=min(days, proposed_duration(client)),
        purpose=client.purpose or "",
        method=METHOD_ASSISTED,
        officer_id=officer.id,
        assisted_session_id=window.id,
    )
    grant = record_consent(user, client, decision)
    _after_grant(officer, window, grant, "grant.given", {})
    return grant


def sharing_service(client_id: str) -> Client:
    client = db.session.scalar(select(Client).where(Client.client_id == client_id))
    if client is None or client.disabled_at is not None or not offered_scopes(client):
        raise NotFound("There is no such service to share with.")
    return client


def _require_agreement(agreed: bool) -> None:
    if not agreed:
        raise InvalidConsent(AGREEMENT_MISSING, field="agreed")


def _after_grant(officer: User, window: AssistedSession, grant: Grant, action: str, details: dict[str, Any]) -> None:
    organisation = grant.client.organisation.name
    details = {**details, "grant": grant.id, "organisation": organisation, "scopes": sorted(grant.granted)}
    _audit(officer, window, action, grant.client_id, details)
    _tell_citizen(grant, officer)


def _audit(officer: User, window: AssistedSession, action: str, client_id: str, details: dict[str, Any]) -> None:
    audit.record(officer, ROLE_OFFICER, action, subject_user_id=window.user_id, target=client_id,
                 details={"client": client_id, **details}, assisted_session_id=window.id)  # fmt: skip


def _tell_citizen(grant: Grant, officer: User) -> None:
    """A grant given at the counter reaches the citizen in writing too, so that one they did not want is
    noticed and can be stopped."""
    from consent.notifications import notify_citizen

    organisation = grant.client.organisation.name
    notify_citizen(
        grant.user_id,
        f"You are now sharing information with {organisation}",
        f"With help from {officer.display_name}, a council officer, you agreed to share some of your "
        f"information in Logbook with {organisation}.\n\n"
        "If you did not agree to this, sign in to Logbook, open 'Who can see my data' and choose "
        "'Stop sharing'.\n",
    )
