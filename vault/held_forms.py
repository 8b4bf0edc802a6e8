"""Forms held across a step-up: when a citizen's step-up lapses while they type into a sensitive module's
form (health, benefits), the POST is refused and sent to step up; what they typed is held here, sealed
under their own data key, and the form page takes it back once afterwards so they can check it and save.
Nothing is saved from a held form on its own.

Held server-side, never in the session cookie (signed, not encrypted). The associated data binds the
citizen, the sign-in session and the page, so another session or account cannot open it; erasing the
citizen's data key leaves any row unreadable. Rows go when taken, when expired (``purge_expired``), with
their sign-in session and account (foreign-key cascades) and on erasure (``erase``)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import delete, select

from idp.database import utcnow
from idp.extensions import db
from vault import crypto, keys
from vault.models import HeldForm

HOLD_FOR = timedelta(minutes=15)
MAX_PATH = 200  # the column's length; vault form paths are far shorter


def hold(user_id: str, login_session_id: str, path: str, fields: dict[str, str]) -> None:
    """Keep ``fields`` (the submitted form, CSRF token left out) for this session's ``path``, replacing
    anything held there before."""
    if len(path) > MAX_PATH:
        return
    key = keys.ensure_data_key(user_id)
    plaintext = json.dumps(fields, ensure_ascii=False).encode()
    blob = crypto.encrypt_held_form(key, plaintext, user_id, login_session_id, path)
    _delete_for(login_session_id, path)
    db.session.add(
        HeldForm(
            login_session_id=login_session_id,
            user_id=user_id,
            path=path,
            ciphertext=blob,
            expires_at=utcnow() + HOLD_FOR,
        )
    )
    db.session.commit()


def take(user_id: str, login_session_id: str, path: str) -> dict[str, str] | None:
    """What was held for this citizen, session and page, removed as it is read (so only once); None when
    nothing is held, it has expired, or it does not open for them."""
    row = db.session.scalars(
        select(HeldForm)
        .where(HeldForm.login_session_id == login_session_id, HeldForm.path == path, HeldForm.user_id == user_id)
        .order_by(HeldForm.expires_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    blob, expires_at = row.ciphertext, row.expires_at
    # Whoever deletes the row takes it: two tabs loading the page at once do not both get it.
    taken = _rowcount(db.session.execute(delete(HeldForm).where(HeldForm.id == row.id)))
    _delete_for(login_session_id, path)
    db.session.commit()
    if not taken or expires_at <= utcnow():
        return None
    return _open(user_id, login_session_id, path, blob)


def _open(user_id: str, login_session_id: str, path: str, blob: bytes) -> dict[str, str] | None:
    key = keys.data_key(user_id)
    if key is None:
        return None
    try:
        fields = json.loads(crypto.decrypt_held_form(key, blob, user_id, login_session_id, path))
    except crypto.RecordIntegrityError:
        return None
    return {str(name): str(value) for name, value in fields.items()}


def purge_expired() -> int:
    """Delete held forms past their expiry; returns how many."""
    count = _rowcount(db.session.execute(delete(HeldForm).where(HeldForm.expires_at < utcnow())))
    db.session.commit()
    return count


def erase(user_id: str) -> None:
    """Every form held for the citizen (part of erasure; the caller commits)."""
    db.session.execute(delete(HeldForm).where(HeldForm.user_id == user_id))


def _delete_for(login_session_id: str, path: str) -> None:
    db.session.execute(delete(HeldForm).where(HeldForm.login_session_id == login_session_id, HeldForm.path == path))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
