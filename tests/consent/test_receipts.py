"""Consent receipts: signed JSON a third party can verify against the published JWKS."""

from __future__ import annotations

import base64
import json

import pytest

from consent.models import Receipt
from consent.receipts import ReceiptInvalid, verify_receipt
from idp.extensions import db
from tests.consent.helpers import citizen, grant, landlord_client


def published_jwks(app, client):
    """The JWKS the app serves, or the keyring's public set until the JWKS endpoint exists."""
    response = client.get("/jwks")
    if response.status_code == 200 and response.is_json:
        return response.get_json()
    return app.extensions["logbook_keyring"].public_jwks


def only_receipt():
    return db.session.scalars(db.select(Receipt)).one()


def test_receipt_verifies_with_the_published_keys(app, client):
    """Receipt signature verifies with the JWKS."""
    user, rp = citizen(), landlord_client()
    recorded = grant(user, rp, {"vault:tenancy:read"})
    body = verify_receipt(only_receipt().jws, published_jwks(app, client))
    assert body["grant"]["id"] == recorded.id
    assert body["piiPrincipalId"] == user.id


def test_receipt_names_who_what_why_and_how_to_withdraw(app, client):
    """Kantara Consent Receipt / ISO/IEC TS 27560 fields: who, organisation, purpose, modules, lawful basis,
    timestamps, how to withdraw."""
    grant(citizen(), landlord_client(), {"vault:tenancy:read"})
    body = verify_receipt(only_receipt().jws, published_jwks(app, client))
    purpose = body["services"][0]["purposes"][0]
    assert body["piiControllers"][0]["piiController"] == "Riverside Homes portal organisation"
    assert purpose["purpose"] == "To manage your tenancy"
    assert purpose["lawfulBasis"] == "consent"
    assert purpose["piiCategory"] == [{"module": "tenancy", "actions": ["read"]}]
    assert body["consentTimestamp"] and body["withdrawal"]["uri"].endswith("/sharing")


def test_altered_receipt_fails_verification(app, client):
    """...and fails when altered."""
    grant(citizen(), landlord_client(), {"vault:tenancy:read"})
    header, payload, signature = only_receipt().jws.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["services"][0]["purposes"][0]["piiCategory"][0]["actions"] = ["read", "write"]
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(ReceiptInvalid):
        verify_receipt(f"{header}.{forged}.{signature}", published_jwks(app, client))
