"""OpenID Connect Back-Channel Logout 1.0: when a sign-in session ends, tell every client that received
tokens in it, by POSTing a signed logout token to the client's registered ``backchannel_logout_uri``.

The clients that "had the session" are those with a token family carrying the session's ``sid`` (the
same ``sid`` their ID tokens carry). Delivery is best effort: a client that does not answer is logged,
never allowed to stop the person signing out (section 2.8).
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app
from joserfc import jwt
from sqlalchemy import select

from clients.models import Client
from idp.accounts.models import LoginSession
from idp.database import new_id
from idp.extensions import db
from idp.oauth2.access_tokens import keyring
from idp.oauth2.models import TokenFamily
from idp.oauth2.subjects import subject_for

log = logging.getLogger(__name__)
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120
DELIVERY_TIMEOUT_SECONDS = 3
# Deliveries run side by side, so one silent client costs the person signing out 3 s, not 3 s per client.
DELIVERY_WORKERS = 8


def clients_of_session(sid: str) -> list[Client]:
    """Active clients that got tokens in sign-in session ``sid`` and registered a back-channel URI."""
    client_ids = select(TokenFamily.client_id).where(TokenFamily.sid == sid).distinct()
    rows = db.session.scalars(select(Client).where(Client.client_id.in_(client_ids)))
    return [client for client in rows if client.is_active and client.backchannel_logout_uri]


def logout_token(client: Client, sub: str, sid: str) -> str:
    """Section 2.4: iss, aud, iat, exp, jti, events, sub and sid; never a nonce; typ logout+jwt."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": current_app.config["ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": new_id(),
        "sub": sub,
        "sid": sid,
        "events": {LOGOUT_EVENT: {}},
    }
    key = keyring().signing_key(client.id_token_signed_response_alg or None)
    return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": "logout+jwt"}, claims, key.jwk)


def deliver(client: Client, token: str) -> bool:
    """Section 2.5: POST ``logout_token`` form-encoded; 200 or 204 is success."""
    return _post(client.client_id, str(client.backchannel_logout_uri), token)


def _post(client_id: str, uri: str, token: str) -> bool:
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    request = urllib.request.Request(uri, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status in (200, 204)
    except (urllib.error.URLError, OSError, ValueError) as error:
        log.warning("back-channel logout to %s failed: %s", client_id, error)
        return False


def _messages(login: LoginSession) -> list[tuple[str, str, str]]:
    """(client_id, backchannel URI, logout token) for each client of ``login``: built while the session,
    its user and the app context are all still at hand."""
    messages = []
    for client in clients_of_session(login.id):
        token = logout_token(client, subject_for(login.user, client), login.id)
        messages.append((client.client_id, str(client.backchannel_logout_uri), token))
    return messages


def notify_sessions_end(logins: list[LoginSession]) -> dict[str, bool]:
    """Tell each client of each session in ``logins`` that it ended; returns {client_id: delivered}.
    Call before the sessions' rows are deleted (the subject is computed from the session's user)."""
    messages = [message for login in logins for message in _messages(login)]
    if not messages:
        return {}
    with ThreadPoolExecutor(max_workers=min(DELIVERY_WORKERS, len(messages))) as pool:
        delivered = list(pool.map(lambda message: _post(*message), messages))
    outcome: dict[str, bool] = {}
    for (client_id, _, _), ok in zip(messages, delivered, strict=True):
        outcome[client_id] = outcome.get(client_id, True) and ok
    return outcome


def notify_session_end(login: LoginSession | None) -> dict[str, bool]:
    """Tell each client of ``login`` that it ended; returns {client_id: delivered}. Call before ending it."""
    return notify_sessions_end([login]) if login is not None else {}
