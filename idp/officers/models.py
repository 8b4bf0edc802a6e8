"""Staff roles, activation codes, citizens' recorded details, identity checks and assisted sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.accounts.models import User
from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db

ROLE_OFFICER = "officer"
ROLE_CLIENT_ADMIN = "client_admin"
ROLE_AUDITOR = "auditor"
# Who may give and take away staff roles. Kept apart from the client administrator (who registers partner
# services) so that deciding who may look up citizens or read the audit trail is a separate duty.
ROLE_ROLE_ADMIN = "role_admin"
ROLES = (ROLE_OFFICER, ROLE_CLIENT_ADMIN, ROLE_AUDITOR, ROLE_ROLE_ADMIN)
ROLE_NAMES = {
    ROLE_OFFICER: "Officer",
    ROLE_CLIENT_ADMIN: "Client administrator",
    ROLE_AUDITOR: "Auditor",
    ROLE_ROLE_ADMIN: "Role administrator",
}


class UserRole(db.Model):  # type: ignore[name-defined]
    """A staff role held by an account. Granting and revoking are audited."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str] = mapped_column(String(64))  # a user id, or "cli"
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CitizenDetails(db.Model):  # type: ignore[name-defined]
    """Name, date of birth and postcode an officer recorded (at account creation or an identity check):
    the only details an officer may search by. Exact matches only."""

    __tablename__ = "officer_citizen_details"
    __table_args__ = (Index("ix_officer_citizen_details_match", "family_name_key", "birthdate", "postcode_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    given_name_key: Mapped[str] = mapped_column(String(100))  # casefolded, single-spaced
    family_name_key: Mapped[str] = mapped_column(String(100))
    birthdate: Mapped[Any] = mapped_column(Date())
    postcode: Mapped[str] = mapped_column(String(10))  # "SW1A 1AA"
    postcode_key: Mapped[str] = mapped_column(String(10))  # "SW1A1AA"
    source: Mapped[str] = mapped_column(String(20))  # "account_created" | "identity_check"
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActivationCode(db.Model):  # type: ignore[name-defined]
    """The code on an activation letter (or message) for an account an officer created. Digest only."""

    __tablename__ = "officer_activation_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(10))  # "letter" | "message"
    issued_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class IdentityCheck(db.Model):  # type: ignore[name-defined]
    """An in-person identity check: which documents an officer saw, who they were and when.

    Kept in the shape OpenID Connect for Identity Assurance needs for ``verified_claims``."""

    __tablename__ = "officer_identity_checks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    details_id: Mapped[str] = mapped_column(ForeignKey("officer_citizen_details.id"))
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["passport", "utility_bill"]
    officer_id: Mapped[str] = mapped_column(String(32))
    officer_name: Mapped[str] = mapped_column(String(254))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assisted_session_id: Mapped[str | None] = mapped_column(String(32))

    details: Mapped[CitizenDetails] = relationship(lazy="joined")


class AssistCode(db.Model):  # type: ignore[name-defined]
    """A one-time code a citizen reads out so that an officer may act alongside them. Digest only."""

    __tablename__ = "officer_assist_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))  # "device" | "letter"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AssistedSession(db.Model):  # type: ignore[name-defined]
    """A bounded window in which an officer acts alongside a citizen who read out a code."""

    __tablename__ = "officer_assisted_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_source: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    officer: Mapped[User] = relationship(foreign_keys=[officer_id])

    def is_live(self, at: datetime | None = None) -> bool:
        return self.ended_at is None and self.expires_at > (at or utcnow())
