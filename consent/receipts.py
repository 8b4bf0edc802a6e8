"""Consent receipts: a JSON record of each grant change, signed as a JWS with the provider's key.

Field names follow the Kantara Initiative Consent Receipt Specification v1.1 and ISO/IEC TS 27560
(who, which organisation, which purpose, what data, on which lawful basis, when, and how to withdraw),
so that the citizen, or anyone they show it to, can verify it against the published JWKS.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from joserfc import jws
from joserfc.errors import JoseError

from consent.models import Grant, Receipt
from idp.database import new_id, utcnow
from idp.extensions import db

RECEIPT_TYPE = "consent-receipt+jws"
SPEC_VERSION = "KI-CR-v1.1.0"
DASHBOARD_PATH = "/sharing"  # consent.dashboard; receipts are also issued outside a request


class ReceiptInvalid(ValueError):
    """The receipt's signature does not verify against the keys given."""


def receipt_body(grant: Grant, event: str, receipt_id: str) -> dict[str, Any]:
    body = _kantara_fields(grant, event, receipt_id)
    if grant.assisted_by is not None:
        body["assistedBy"] = assisted_by(grant)
    return body


def assisted_by(grant: Grant) -> dict[str, Any]:
    """Who acted alongside the citizen when the grant was given (``sub`` as in RFC 8693's ``act`` claim)."""
    from idp.accounts.models import User

    # Looked up by id, not through the relationship, which may still hold what it loaded before this change.
    officer = db.session.get(User, grant.assisted_by)
    return {
        "sub": grant.assisted_by,
        "name": officer.display_name if officer is not None else None,
        "assistedSessionId": grant.assisted_session_id,
        "at": grant.assisted_at.isoformat() if grant.assisted_at else None,
    }


def _kantara_fields(grant: Grant, event: str, receipt_id: str) -> dict[str, Any]:
    client = grant.client
    organisation = client.organisation if client is not None else None
    issuer = current_app.config["ISSUER"]
    return {
        "version": SPEC_VERSION,
        "jurisdiction": "GB",
        "consentReceiptID": receipt_id,
        "event": event,
        "consentTimestamp": int(utcnow().timestamp()),
        "collectionMethod": grant.method,
        "iss": issuer,
        "piiPrincipalId": grant.user_id,
        "piiControllers": [
            {
                "piiController": organisation.name if organisation else grant.client_id,
                "organisationType": organisation.type if organisation else None,
                "clientId": grant.client_id,
                "clientName": client.name if client is not None else grant.client_id,
            }
        ],
        "services": [
            {
                "service": client.name if client is not None else grant.client_id,
                "purposes": [
                    {
                        "purpose": grant.purpose,
                        "lawfulBasis": grant.lawful_basis,
                        "piiCategory": [
                            {"module": entry.module, "actions": sorted(entry.actions)} for entry in grant.modules
                        ],
                        "consentType": "EXPLICIT",
                        "termination": grant.expires_at.isoformat(),
                    }
                ],
            }
        ],
        "grant": {
            "id": grant.id,
            "status": grant.status,
            "scopes": sorted(grant.granted),
            "createdAt": grant.created_at.isoformat() if grant.created_at else None,
            "expiresAt": grant.expires_at.isoformat(),
            "revokedAt": grant.revoked_at.isoformat() if grant.revoked_at else None,
            "authenticationRequirement": _authentication_requirement(grant),
        },
        "withdrawal": {
            "method": "Sign in to Logbook, open 'Who can see my data' and choose 'Stop sharing'.",
            "uri": issuer + DASHBOARD_PATH,
        },
    }


def _authentication_requirement(grant: Grant) -> dict[str, Any] | None:
    """The citizen's own sign-in requirement for this grant (``acr`` at least, ``max_age`` seconds at most,
    as in OpenID Connect), or None when they set none."""
    if not grant.asks_for_step_up:
        return None
    return {"acr": grant.min_acr, "max_age": grant.max_auth_age}


def issue_receipt(grant: Grant, event: str) -> Receipt:
    """Sign and store a receipt for ``grant`` as it is now (the caller commits)."""
    receipt_id = new_id()
    key = current_app.extensions["logbook_keyring"].signing_key()
    header = {"alg": key.alg, "kid": key.kid, "typ": RECEIPT_TYPE}
    payload = json.dumps(receipt_body(grant, event, receipt_id), separators=(",", ":"), sort_keys=True)
    token = jws.serialize_compact(header, payload, key.jwk, algorithms=[key.alg])
    receipt = Receipt(id=receipt_id, grant_id=grant.id, user_id=grant.user_id, event=event, jws=token)
    db.session.add(receipt)
    return receipt


def verify_receipt(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The receipt's JSON if its signature verifies with one of the ``jwks`` keys; else ReceiptInvalid."""
    from joserfc.jwk import KeySet

    try:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        obj = jws.deserialize_compact(token, key_set, algorithms=["ES256", "RS256"])
        return json.loads(obj.payload)  # type: ignore[no-any-return]
    except (JoseError, ValueError) as error:
        raise ReceiptInvalid(str(error)) from error
