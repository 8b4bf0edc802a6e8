"""Accounts and their server-side sign-in sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db


class User(db.Model):  # type: ignore[name-defined]
    """A citizen (or an officer: roles are added by the officer console)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_hash: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[LoginSession]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def contact(self) -> str:
        """The address we write to: email when there is one, else the mobile number."""
        return self.email or self.phone or ""

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def contact_verified(self) -> bool:
        return bool(self.email_verified_at if self.email else self.phone_verified_at)

    @property
    def display_name(self) -> str:
        names = " ".join(part for part in (self.given_name, self.family_name) if part)
        return names or self.contact


class LoginSession(db.Model):  # type: ignore[name-defined]
    """A signed-in browser. The cookie holds a random token; only its SHA-256 digest is stored here."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)  # the OIDC `sid`
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acr: Mapped[str] = mapped_column(String(64))
    amr: Mapped[str] = mapped_column(String(100))  # space-separated RFC 8176 values, e.g. "pwd otp"
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="sessions")

    @property
    def amr_list(self) -> list[str]:
        return self.amr.split()


class ContactVerification(db.Model):  # type: ignore[name-defined]
    """A one-time code (and, for email, a link) proving the citizen holds an address or number.

    Only keyed digests are stored. A row is spent by its first successful use, dies after its expiry or
    after too many wrong codes; sending a new one spends the old ones.
    """

    __tablename__ = "contact_verifications"
    __table_args__ = (Index("ix_contact_verifications_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # "email" | "phone"
    contact: Mapped[str] = mapped_column(String(254))  # the address or number the code was sent to
    code_digest: Mapped[str] = mapped_column(String(64))
    link_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class PasswordReset(db.Model):  # type: ignore[name-defined]
    """A single-use, expiring password-reset link; only the SHA-256 digest of its token is stored."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
