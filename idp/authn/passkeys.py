"""Passkeys (WebAuthn Level 2 with py_webauthn): registration and authentication ceremonies.

The relying-party id is the issuer's host and the expected origin the issuer's origin, so a credential
made for Logbook cannot be exercised by a look-alike site. Every ceremony's challenge lives in
``webauthn_ceremonies`` (server-side, one row per ceremony, deleted when answered); the browser's
Flask session only names the row. User verification is required: a passkey stands for ACR_PASSKEY.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import webauthn
from flask import current_app
from sqlalchemy import delete, select, update
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp.accounts.models import User
from idp.authn.levels import AMR_HARDWARE_KEY, AMR_SOFTWARE_KEY, AMR_USER
from idp.authn.models import Passkey, WebAuthnCeremony, rows_changed
from idp.database import utcnow
from idp.errors import DomainError
from idp.extensions import db

CEREMONY_LIFETIME = timedelta(minutes=5)
PURPOSES = ("register", "second-factor", "step-up", "sign-in")
WEBAUTHN_ERRORS = (WebAuthnException, ValueError, KeyError, TypeError, AttributeError)


class PasskeyError(DomainError):
    status_code = 400
    code = "passkey_failed"


def rp_id() -> str:
    return urlsplit(current_app.config["ISSUER"]).hostname or "localhost"


def expected_origin() -> str:
    parts = urlsplit(current_app.config["ISSUER"])
    return f"{parts.scheme}://{parts.netloc}"


def passkeys_of(user: User) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)))


def amr_for(passkey: Passkey) -> list[str]:
    """RFC 8176: a synced passkey is a software-secured key, a device-bound one a hardware-secured key."""
    kind = AMR_SOFTWARE_KEY if passkey.device_type == CredentialDeviceType.MULTI_DEVICE.value else AMR_HARDWARE_KEY
    return [kind, AMR_USER]


# -- ceremonies -------------------------------------------------------------------------------------


def _open_ceremony(purpose: str, challenge: bytes, user: User | None) -> str:
    # Abandoned ceremonies are swept here, so the table holds only a few minutes' worth.
    db.session.execute(delete(WebAuthnCeremony).where(WebAuthnCeremony.expires_at < utcnow()))
    ceremony = WebAuthnCeremony(
        purpose=purpose, challenge=challenge, user_id=user.id if user else None, expires_at=utcnow() + CEREMONY_LIFETIME
    )
    db.session.add(ceremony)
    db.session.commit()
    return ceremony.id


@dataclass(frozen=True)
class Challenge:
    challenge: bytes
    user_id: str | None


def _take_ceremony(ceremony_id: str | None, purpose: str) -> Challenge:
    """The ceremony's challenge; its row is deleted so that the challenge can be answered once only."""
    ceremony = db.session.get(WebAuthnCeremony, ceremony_id) if ceremony_id else None
    if ceremony is None or ceremony.purpose != purpose or ceremony.expires_at <= utcnow():
        raise PasskeyError("The passkey request has expired. Try again.")
    taken = Challenge(ceremony.challenge, ceremony.user_id)
    deleted = db.session.execute(delete(WebAuthnCeremony).where(WebAuthnCeremony.id == ceremony.id))
    db.session.commit()
    if rows_changed(deleted) != 1:
        raise PasskeyError("The passkey request has already been answered. Try again.")
    return taken


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in passkey.transports.split() if t in _TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(passkey.credential_id), transports=transports)


_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


# -- registration -----------------------------------------------------------------------------------


def registration_options(user: User) -> tuple[str, str]:
    """(ceremony id, options JSON) for navigator.credentials.create()."""
    options = webauthn.generate_registration_options(
        rp_id=rp_id(),
        rp_name=f"{current_app.config['SERVICE_NAME']} ({current_app.config['COUNCIL_NAME']})",
        user_id=user.id.encode(),
        user_name=user.contact,
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in passkeys_of(user)],
    )
    ceremony_id = _open_ceremony("register", options.challenge, user)
    return ceremony_id, webauthn.options_to_json(options)


def register(user: User, ceremony_id: str | None, credential: Any, name: str) -> Passkey:
    ceremony = _take_ceremony(ceremony_id, "register")
    if ceremony.user_id != user.id:
        raise PasskeyError("The passkey request was made for someone else. Try again.")
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=ceremony.challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origin(),
            require_user_verification=True,
        )
    except WEBAUTHN_ERRORS as error:
        raise PasskeyError("Your passkey could not be checked. Try again.") from error
    return _store(user, verified, credential, name)


def _store(user: User, verified: Any, credential: Any, name: str) -> Passkey:
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyError("That passkey is already registered.")
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        aaguid=verified.aaguid,
        transports=" ".join(_transports_of(credential)),
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
    )
    db.session.add(passkey)
    db.session.commit()
    return passkey


def _transports_of(credential: Any) -> list[str]:
    data = json.loads(credential) if isinstance(credential, str) else credential
    transports = (data.get("response") or {}).get("transports") or []
    return [t for t in transports if isinstance(t, str) and t in _TRANSPORTS]


# -- authentication ---------------------------------------------------------------------------------


def authentication_options(purpose: str, user: User | None) -> tuple[str, str]:
    """(ceremony id, options JSON) for navigator.credentials.get(); no user means a discoverable sign-in."""
    allow = [_descriptor(passkey) for passkey in passkeys_of(user)] if user else []
    options = webauthn.generate_authentication_options(
        rp_id=rp_id(), allow_credentials=allow, user_verification=UserVerificationRequirement.REQUIRED
    )
    ceremony_id = _open_ceremony(purpose, options.challenge, user)
    return ceremony_id, webauthn.options_to_json(options)


def authenticate(ceremony_id: str | None, purpose: str, credential: Any) -> Passkey:
    """Check an assertion against the ceremony's challenge and the stored key; returns the passkey used."""
    ceremony = _take_ceremony(ceremony_id, purpose)
    passkey = _passkey_for(credential, ceremony)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=ceremony.challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except WEBAUTHN_ERRORS as error:
        raise PasskeyError("Your passkey could not be checked. Try again.") from error
    _record_use(passkey, verified.new_sign_count)
    return passkey


def _passkey_for(credential: Any, ceremony: Challenge) -> Passkey:
    try:
        parsed = parse_authentication_credential_json(credential)
    except WEBAUTHN_ERRORS as error:
        raise PasskeyError("Your passkey could not be checked. Try again.") from error
    credential_id = bytes_to_base64url(parsed.raw_id)
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    if passkey is None or (ceremony.user_id is not None and passkey.user_id != ceremony.user_id):
        raise PasskeyError("That passkey is not registered for this account.")
    user_handle = parsed.response.user_handle
    if user_handle is not None and user_handle != passkey.user_id.encode():
        raise PasskeyError("That passkey is not registered for this account.")
    return passkey


def _record_use(passkey: Passkey, new_sign_count: int) -> None:
    """Store the new signature counter; a counter that went backwards means a cloned authenticator."""
    statement = update(Passkey).where(Passkey.id == passkey.id).values(last_used_at=utcnow())
    if new_sign_count > 0:
        statement = statement.where(Passkey.sign_count < new_sign_count).values(sign_count=new_sign_count)
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.commit()
    if rows_changed(result) != 1:
        raise PasskeyError("Your passkey could not be checked. Try again.")


def rename_allowed(name: str) -> str:
    return " ".join(name.split())[:60] or "Passkey"


def remove(user: User, passkey_id: str) -> None:
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id, Passkey.id == passkey_id))
    db.session.commit()
