"""Second factors: an authenticator app (TOTP), recovery codes, passkeys, and WebAuthn ceremonies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.accounts.models import User
from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE touched (``Session.execute`` is typed as returning a plain Result)."""
    return int(result.rowcount or 0)


class TotpFactor(db.Model):  # type: ignore[name-defined]
    """One authenticator app per person. Unconfirmed (``confirmed_at`` empty) until a first right code.

    ``last_used_step`` is the RFC 6238 time step of the last accepted code: a code is accepted only by
    an UPDATE that moves it forward, so the same code cannot be used twice, even by concurrent requests.
    """

    __tablename__ = "totp_factors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret_sealed: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """A single-use code for when the authenticator app is lost or locked; only a keyed digest is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_digest", name="uq_recovery_codes_user_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Passkey(db.Model):  # type: ignore[name-defined]
    """A WebAuthn credential registered with user verification required."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, at most 1023 bytes
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(60))
    aaguid: Mapped[str | None] = mapped_column(String(36))
    transports: Mapped[str] = mapped_column(String(100), default="")
    # "single_device" keys are reported as amr "hwk", synced ("multi_device") ones as "swk".
    device_type: Mapped[str] = mapped_column(String(20))
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WebAuthnCeremony(db.Model):  # type: ignore[name-defined]
    """A challenge handed to the browser, kept server-side and deleted when answered (single use)."""

    __tablename__ = "webauthn_ceremonies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(20))  # register | second-factor | step-up | sign-in
    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
