"""Telling people and programs: the citizen through the outbox, the client through its registered
back-channel URI (an HTTP POST of a signed, logout-token-like JWT; best effort, failures recorded)."""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from flask import current_app
from joserfc import jwt
from sqlalchemy import update

from consent.labels import module_title
from consent.models import ClientNotification, Grant
from idp import mail
from idp.accounts.models import User
from idp.database import new_id
from idp.extensions import db

log = logging.getLogger(__name__)
NOTIFY_TIMEOUT_SECONDS = 3
EVENT_GRANT_REVOKED = "urn:logbook:event:consent-revoked"
EVENT_REQUEST_DECIDED = "urn:logbook:event:access-request-decided"


def notify_citizen(user_id: str, subject: str, body: str) -> None:
    """Through the outbox; a broken outbox is logged, never turned into a failed request."""
    user = db.session.get(User, user_id)
    if user is None or not user.contact:
        return
    try:
        if user.email:
            mail.send(user.email, subject, body)
        else:
            mail.send_text(user.contact, body)
    except mail.OutboxError:
        log.exception("could not notify citizen %s", user_id)


def notify_first_read(user_id: str, organisation_name: str, module: str) -> None:
    title = module_title(module)
    notify_citizen(
        user_id,
        f"{organisation_name} has looked at your information",
        f"{organisation_name} looked at this information in your Logbook for the first time: {title}.\n\n"
        "You can see who has seen your data, and stop sharing at any time, by signing in to Logbook and "
        "going to 'Who can see my data'.\n",
    )


def _signed_event(client_id: str, subject: str | None, event: str, detail: dict[str, Any]) -> str:
    key = current_app.extensions["logbook_keyring"].signing_key()
    now = int(time.time())
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": new_id(),
        "events": {event: detail},
    }
    if subject:
        claims["sub"] = subject
    header = {"alg": key.alg, "kid": key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, key.jwk, algorithms=[key.alg])


def _subject_for(user_id: str, client: Any) -> str | None:
    try:
        from idp.oauth2.subjects import subject_for
    except ImportError:
        return None
    user = db.session.get(User, user_id)
    return subject_for(user, client) if user is not None else None


def post_to_client(client: Any, user_id: str, event: str, detail: dict[str, Any]) -> str | None:
    """Record, then POST ``logout_token=<JWT>`` to the client's back-channel URI in the background, so a
    slow or dead client never holds up the citizen. Returns the ClientNotification id (None: no URI)."""
    uri = getattr(client, "backchannel_logout_uri", None)
    if not uri:
        return None
    token = _signed_event(client.client_id, _subject_for(user_id, client), event, detail)
    record = ClientNotification(client_id=client.client_id, event=event, uri=uri)
    db.session.add(record)
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_deliver, args=(app, record.id, uri, token), daemon=True)
    with _deliveries_lock:
        _deliveries.append(thread)
    thread.start()
    return str(record.id)


_deliveries: list[threading.Thread] = []
_deliveries_lock = threading.Lock()


def wait_for_deliveries() -> None:
    """Block until every background delivery started so far has finished (tests, graceful shutdown)."""
    with _deliveries_lock:
        pending = list(_deliveries)
        _deliveries.clear()
    for thread in pending:
        thread.join()


def _deliver(app: Any, record_id: str, uri: str, token: str) -> None:
    status, error = _post(uri, token)
    with app.app_context():
        table = ClientNotification.__table__
        db.session.execute(update(table).where(table.c.id == record_id).values(status_code=status, error=error))
        db.session.commit()
        db.session.remove()


def _post(uri: str, token: str) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one best-effort POST; never raises."""
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    request = urllib.request.Request(uri, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, str(error)
    except Exception as error:  # noqa: BLE001  best effort: any failure is recorded, never raised
        return None, f"{type(error).__name__}: {error}"[:1000]


def notify_client_of_revocation(grant: Grant) -> str | None:
    if grant.client is None:
        return None
    detail = {"grant_id": grant.id, "revoked_at": int(grant.revoked_at.timestamp()) if grant.revoked_at else None}
    return post_to_client(grant.client, grant.user_id, EVENT_GRANT_REVOKED, detail)
