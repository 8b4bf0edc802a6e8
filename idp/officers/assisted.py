"""Assisted digital: a citizen lets an officer act alongside them for a bounded time.

The citizen reads out a one-time code shown on their own device (``/account/help-code``) or printed on
their letter; the officer enters it, which opens an ``AssistedSession``. While it is live, the officer's
actions on that account carry both identities: audit rows name the session, and tokens carry an
RFC 8693 ``act`` claim naming the officer (``act_claim``). The window closes by itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from idp import audit
from idp.accounts.models import User
from idp.database import new_id, utcnow
from idp.extensions import db
from idp.officers import codes
from idp.officers.errors import AssistedSessionRequired, CodeRefused
from idp.officers.models import ROLE_OFFICER, AssistCode, AssistedSession

DEVICE_CODE_LIFETIME = timedelta(minutes=10)
LETTER_CODE_LIFETIME = timedelta(days=28)
DEFAULT_WINDOW = timedelta(minutes=30)
ASSIST_PURPOSE = "assist"
CODE_REFUSED = "The code is not right or has expired. Ask the citizen to show a new code from their account"


def window_length() -> timedelta:
    minutes = current_app.config.get("OFFICER_ASSISTED_MINUTES")
    return timedelta(minutes=int(minutes)) if minutes else DEFAULT_WINDOW


def issue_code(user: User, source: str = "device") -> tuple[AssistCode, str]:
    """A new code for the citizen to read out; their earlier unspent codes from the same source die."""
    db.session.execute(
        update(AssistCode)
        .where(AssistCode.user_id == user.id, AssistCode.source == source, AssistCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    code = codes.new_code(8)
    lifetime = DEVICE_CODE_LIFETIME if source == "device" else LETTER_CODE_LIFETIME
    row = AssistCode(id=new_id(), user_id=user.id, source=source, expires_at=utcnow() + lifetime)
    row.code_digest = codes.digest(row.id, code, ASSIST_PURPOSE)
    db.session.add(row)
    db.session.commit()
    return row, code


def start_session(officer: User, user: User, code: str) -> AssistedSession:
    """Open the window if ``code`` is one of the citizen's live codes (five wrong tries spend it)."""
    rows = _live_codes(user)
    match = next((row for row in rows if codes.matches(row.id, code, ASSIST_PURPOSE, row.code_digest)), None)
    if match is None:
        for row in rows:
            row.attempts += 1
        audit.record(officer, ROLE_OFFICER, "assisted.code_refused", subject_user_id=user.id)
        raise CodeRefused(CODE_REFUSED, field="code")
    now = utcnow()
    match.used_at = now
    session = AssistedSession(
        id=new_id(),
        user_id=user.id,
        officer_id=officer.id,
        code_source=match.source,
        started_at=now,
        expires_at=now + window_length(),
    )
    db.session.add(session)
    audit.record(
        officer,
        ROLE_OFFICER,
        "assisted.started",
        subject_user_id=user.id,
        details={"code_from": match.source, "minutes": int(window_length().total_seconds() // 60)},
        assisted_session_id=session.id,
    )
    return session


def _live_codes(user: User) -> list[AssistCode]:
    rows = db.session.scalars(select(AssistCode).where(AssistCode.user_id == user.id, AssistCode.used_at.is_(None)))
    now = utcnow()
    return [row for row in rows if row.expires_at > now and row.attempts < codes.MAX_ATTEMPTS]


def live_session(officer: User, user: User) -> AssistedSession | None:
    rows = db.session.scalars(
        select(AssistedSession)
        .where(AssistedSession.officer_id == officer.id, AssistedSession.user_id == user.id)
        .where(AssistedSession.ended_at.is_(None))
        .order_by(AssistedSession.started_at.desc())
    )
    return next((row for row in rows if row.is_live()), None)


def require_session(officer: User, user: User) -> AssistedSession:
    session = live_session(officer, user)
    if session is None:
        raise AssistedSessionRequired(
            "You can only do this while the citizen is with you: ask them for a code from their account or letter"
        )
    return session


def end_session(officer: User, session: AssistedSession, by: str = "officer") -> None:
    session.ended_at = utcnow()
    audit.record(
        officer,
        ROLE_OFFICER,
        "assisted.ended",
        subject_user_id=session.user_id,
        details={"ended_by": by},
        assisted_session_id=session.id,
    )


def end_sessions_for_citizen(user: User) -> int:
    """The citizen closes every window an officer holds on their account."""
    live = [row for row in _open_sessions(user) if row.is_live()]
    for session in live:
        end_session(session.officer, session, by="citizen")
    return len(live)


def _open_sessions(user: User) -> list[AssistedSession]:
    return list(
        db.session.scalars(
            select(AssistedSession).where(AssistedSession.user_id == user.id, AssistedSession.ended_at.is_(None))
        )
    )


def act_claim(session: AssistedSession) -> dict[str, Any]:
    """RFC 8693 section 4.1: the party acting for the token's subject (the officer)."""
    return {"sub": session.officer_id}


def sessions_of(user: User) -> list[AssistedSession]:
    """Every assisted session on the citizen's account, newest first (shown to them)."""
    return list(
        db.session.scalars(
            select(AssistedSession)
            .where(AssistedSession.user_id == user.id)
            .order_by(AssistedSession.started_at.desc())
        )
    )


def assisted_access_token(officer: User, session: AssistedSession, client: Any) -> Any:
    """An access token for ``client`` (the council's customer-service client) on the citizen's behalf,
    carrying ``act: {"sub": <officer>}``. Only within a live window of this officer, and only for what
    the citizen has granted that client: without a grant there is no token."""
    from consent.services import live_grant
    from idp.oauth2.access_tokens import issue_access_token
    from idp.oauth2.subjects import subject_for

    if session.officer_id != officer.id or not session.is_live():
        raise AssistedSessionRequired("The citizen's permission for you to act alongside them has ended")
    grant = live_grant(session.user_id, client.client_id)
    if grant is None:
        raise AssistedSessionRequired(f"The citizen has not allowed {client.name} to see their information")
    issued = issue_access_token(
        client.client_id,
        subject_for(session.user_id, client),
        grant.granted,
        user_id=session.user_id,
        grant_id=grant.id,
        lifetime=min(300, max(1, int((session.expires_at - utcnow()).total_seconds()))),
        act=act_claim(session),
        commit=False,
    )
    audit.record(
        officer,
        ROLE_OFFICER,
        "assisted.token_issued",
        subject_user_id=session.user_id,
        target=client.client_id,
        details={"jti": issued.jti, "scope": " ".join(sorted(grant.granted))},
        assisted_session_id=session.id,
    )
    return issued
