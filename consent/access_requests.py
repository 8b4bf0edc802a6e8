"""Access requests: an organisation's client asks, by API, for a citizen's modules; the citizen approves
(a grant with method ``access_request``) or declines (the client is told). Requests expire.

The client names the citizen by the pairwise subject it already knows, or by a one-time sharing code
the citizen generated and gave it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from consent import scopes as vault_scopes
from consent.models import METHOD_ACCESS_REQUEST, METHOD_ASSISTED, AccessRequest, SharingCode
from consent.services import ConsentDecision, InvalidConsent, proposed_duration, record_consent
from idp.accounts.models import User
from idp.database import utcnow
from idp.errors import Conflict, DomainError, NotFound
from idp.extensions import db

REQUEST_LIFETIME = timedelta(days=7)
SHARING_CODE_LIFETIME = timedelta(hours=24)
# No 0/O, 1/I/L: codes are read out over the phone and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


class InvalidAccessRequest(DomainError):
    code = "invalid_request"


class UnknownCitizen(DomainError):
    status_code = 404
    code = "unknown_citizen"


# -- sharing codes -----------------------------------------------------------------------------------
def _code_digest(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def create_sharing_code(user: User) -> str:
    """A fresh one-time code, shown once (grouped in fours); only its digest is kept."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + SHARING_CODE_LIFETIME
    db.session.add(SharingCode(code_digest=_code_digest(raw), user_id=user.id, expires_at=expires_at))
    db.session.commit()
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def redeem_sharing_code(code: str, client_id: str) -> User:
    """The citizen behind an unused, unexpired code; the code is spent in the same statement."""
    now = utcnow()
    table = SharingCode.__table__
    spent = db.session.execute(
        update(table)
        .where(table.c.code_digest == _code_digest(code), table.c.used_at.is_(None), table.c.expires_at > now)
        .values(used_at=now, used_by_client_id=client_id)
        .returning(table.c.user_id)
    ).scalar()
    if spent is None:
        raise UnknownCitizen("The sharing code is unknown, expired or already used.")
    return db.session.get_one(User, spent)


# -- making a request --------------------------------------------------------------------------------
def parse_modules(raw: Any, client: Any) -> dict[str, list[str]]:
    """``{"tenancy": ["read"]}``: only modules the client's registration allows, only read or write."""
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidAccessRequest('"modules" must be an object like {"tenancy": ["read"]}.', field="modules")
    allowed = set(getattr(client, "allowed_modules", None) or ())
    modules: dict[str, list[str]] = {}
    for module, actions in raw.items():
        if module not in allowed:
            raise InvalidAccessRequest(f"This client may not ask for the {module!r} module.", field="modules")
        if not isinstance(actions, list) or not actions or any(a not in vault_scopes.ACTIONS for a in actions):
            raise InvalidAccessRequest(f'Actions for {module!r} must be a list of "read" and "write".', field="modules")
        modules[module] = sorted(set(actions))
    return modules


def find_citizen(client: Any, subject: Any, sharing_code: Any) -> User:
    if bool(subject) == bool(sharing_code):
        raise InvalidAccessRequest('Give exactly one of "subject" or "sharing_code".', field="subject")
    if not isinstance(subject or sharing_code, str):
        raise InvalidAccessRequest('"subject" and "sharing_code" are strings.', field="subject")
    if sharing_code:
        return redeem_sharing_code(sharing_code, client.client_id)
    from idp.oauth2.subjects import user_for_subject

    user = user_for_subject(client, subject)
    if user is None:
        raise UnknownCitizen("No citizen with that subject is known to this client.")
    return user


def create_access_request(client: Any, body: Mapping[str, Any]) -> AccessRequest:
    """Validate everything first, then write once (and spend a sharing code only with a valid request)."""
    modules = parse_modules(body.get("modules"), client)
    days = body.get("duration_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        raise InvalidAccessRequest('"duration_days" must be a whole number of days.', field="duration_days")
    purpose = body.get("purpose") or getattr(client, "purpose", None) or ""
    if not isinstance(purpose, str) or len(purpose) > 500:
        raise InvalidAccessRequest('"purpose" must be text of up to 500 characters.', field="purpose")
    user = find_citizen(client, body.get("subject"), body.get("sharing_code"))
    _refuse_duplicate(client.client_id, user.id)
    request = AccessRequest(
        client_id=client.client_id,
        user_id=user.id,
        modules=modules,
        purpose=purpose,
        duration_days=proposed_duration(client, days),
        expires_at=utcnow() + REQUEST_LIFETIME,
    )
    db.session.add(request)
    db.session.commit()
    _tell_citizen_of_request(request, client)
    return request


def _refuse_duplicate(client_id: str, user_id: str) -> None:
    """One open question at a time: the citizen's inbox is not a place for repeated asking."""
    expire_overdue(user_id, commit=False)
    statement = select(AccessRequest.id).where(
        AccessRequest.client_id == client_id, AccessRequest.user_id == user_id, AccessRequest.status == "pending"
    )
    pending = db.session.scalar(statement)
    if pending is not None:
        raise Conflict("This citizen has not answered your earlier request yet.", request_id=pending)


def _tell_citizen_of_request(request: AccessRequest, client: Any) -> None:
    from consent.notifications import notify_citizen

    organisation = client.organisation.name
    notify_citizen(
        request.user_id,
        f"{organisation} has asked to see your information",
        f"{organisation} has asked to see some of your information in Logbook.\n\n"
        "Nothing is shared unless you say yes. Sign in to Logbook and go to 'Requests to see your data' "
        f"to approve or decline. The request ends in {REQUEST_LIFETIME.days} days if you do nothing.\n",
    )


# -- the citizen's answer ----------------------------------------------------------------------------
def expire_overdue(user_id: str | None = None, commit: bool = True) -> int:
    """Mark pending requests past their expiry as expired (lazily, whenever requests are looked at)."""
    table = AccessRequest.__table__
    statement = update(table).where(table.c.status == "pending", table.c.expires_at <= utcnow())
    if user_id is not None:
        statement = statement.where(table.c.user_id == user_id)
    result = db.session.execute(statement.values(status="expired"))
    if commit:
        db.session.commit()
    return result.rowcount or 0  # type: ignore[attr-defined]


def requests_for(user: User) -> list[AccessRequest]:
    expire_overdue(user.id)
    statement = select(AccessRequest).where(AccessRequest.user_id == user.id).order_by(AccessRequest.created_at.desc())
    return list(db.session.scalars(statement))


def request_for_user(user: User, request_id: str) -> AccessRequest:
    expire_overdue(user.id)
    request = db.session.get(AccessRequest, request_id)
    if request is None or request.user_id != user.id:
        raise NotFound("There is no such request.")
    return request


def _require_pending(request: AccessRequest) -> None:
    if request.status != "pending":
        raise Conflict(f"This request has already been {request.status}.")


def approve(
    request: AccessRequest,
    user: User,
    modules: Mapping[str, list[str]] | None = None,
    assisted: tuple[str, str] | None = None,
) -> Any:
    """A grant for the requested modules (or the subset the citizen kept). ``assisted`` is (officer id,
    assisted session id) when the citizen answered with an officer alongside them."""
    _require_pending(request)
    chosen = request.modules if modules is None else modules
    granted = {
        vault_scopes.vault_scope(module, action)
        for module, actions in chosen.items()
        for action in actions
        if action in request.modules.get(module, [])
    }
    if not granted:
        raise InvalidConsent("Choose at least one kind of information to share, or decline.", field="modules")
    client = _client(request.client_id)
    officer_id, session_id = assisted or (None, None)
    decision = ConsentDecision(
        granted=frozenset(granted),
        duration_days=request.duration_days,
        purpose=request.purpose,
        method=METHOD_ASSISTED if assisted else METHOD_ACCESS_REQUEST,
        officer_id=officer_id,
        assisted_session_id=session_id,
    )
    grant = record_consent(user, client, decision)
    _decide(request, "approved", grant.id)
    return grant


def decline(request: AccessRequest) -> AccessRequest:
    _require_pending(request)
    _decide(request, "declined", None)
    return request


def _decide(request: AccessRequest, status: str, grant_id: str | None) -> None:
    request.status, request.decided_at, request.grant_id = status, utcnow(), grant_id
    db.session.commit()
    from consent.notifications import EVENT_REQUEST_DECIDED, post_to_client

    detail = {"request_id": request.id, "status": status}
    post_to_client(_client(request.client_id), request.user_id, EVENT_REQUEST_DECIDED, detail)


def _client(client_id: str) -> Any:
    from clients.services import get_client

    return get_client(client_id)


def status_for_client(client_id: str, request_id: str) -> AccessRequest:
    request = db.session.get(AccessRequest, request_id)
    if request is None or request.client_id != client_id:
        raise NotFound("No such access request for this client.")
    expire_overdue(request.user_id)
    db.session.refresh(request)
    return request
