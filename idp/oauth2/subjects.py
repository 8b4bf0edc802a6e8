"""Subject identifiers (OIDC Core section 8).

The council's own first-party services see the public account id, so single sign-on identity is shared
between them. Partner organisations' clients see a pairwise subject per organisation (the sector), so two
partners cannot correlate a citizen. Pairwise subjects are stored on first use: they survive a change of
``SECRET_KEY`` and give the way back from ``sub`` to the account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from clients.models import Client
from idp.accounts.models import User
from idp.extensions import db
from idp.oauth2.models import SubjectIdentifier

PAIRWISE_LABEL = b"logbook/pairwise-subject/v1"


def uses_public_subject(client: Client) -> bool:
    return bool(client.first_party)


def subject_for(user: User | str, client: Client) -> str:
    """The `sub` this client knows the user by."""
    user_id = user if isinstance(user, str) else user.id
    if uses_public_subject(client):
        return user_id
    return _pairwise_subject(user_id, client.sector)


def user_for_subject(client: Client, sub: str) -> User | None:
    """The account behind a `sub` this client was given, or None."""
    if not isinstance(sub, str) or not sub or len(sub) > 64:
        return None
    if uses_public_subject(client):
        return db.session.get(User, sub)
    user_id = db.session.scalar(
        select(SubjectIdentifier.user_id).where(SubjectIdentifier.sector == client.sector, SubjectIdentifier.sub == sub)
    )
    return db.session.get(User, user_id) if user_id else None


def _pairwise_subject(user_id: str, sector: str) -> str:
    table = SubjectIdentifier.__table__
    existing = db.session.execute(
        select(table.c.sub).where(table.c.sector == sector, table.c.user_id == user_id)
    ).scalar()
    if existing:
        return str(existing)
    sub = _derive(user_id, sector)
    try:
        with db.session.begin_nested():
            db.session.execute(insert(table).values(sector=sector, sub=sub, user_id=user_id))
    except IntegrityError:
        pass  # another request stored the same value first
    return sub


def _derive(user_id: str, sector: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), PAIRWISE_LABEL, hashlib.sha256).digest()
    mac = hmac.new(key, f"{sector}|{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
