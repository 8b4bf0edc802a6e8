"""Consent records: grants (per module, read/write), receipts, access requests, sharing codes, and the
hash-chained access log.

A ``Grant`` follows node-oidc-provider's idea: it remembers the scopes the citizen granted AND the ones
they rejected, so the authorization endpoint only asks about what is still undecided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import clients.models  # noqa: F401  (grants refer to oauth_clients.client_id)
from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db

METHOD_OAUTH_CONSENT = "oauth_consent"
METHOD_ACCESS_REQUEST = "access_request"
METHOD_ASSISTED = "assisted"
METHODS = (METHOD_OAUTH_CONSENT, METHOD_ACCESS_REQUEST, METHOD_ASSISTED)

# UK GDPR Article 6(1) bases a grant may rest on; citizen-given grants rest on consent.
LAWFUL_BASES = ("consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests")


def _split(value: str | None) -> frozenset[str]:
    return frozenset((value or "").split())


def _join(values: frozenset[str] | set[str]) -> str:
    return " ".join(sorted(values))


def live_key(user_id: str, client_id: str) -> str:
    """The one slot a citizen's live grant to a client holds (see ``Grant.live_key``)."""
    return f"{user_id} {client_id}"


def _new_live_key(context: Any) -> str:
    values = context.get_current_parameters()
    return live_key(values["user_id"], values["client_id"])


class Grant(db.Model):  # type: ignore[name-defined]
    """What a citizen has allowed one client to do, until it expires or is revoked."""

    __tablename__ = "consent_grants"
    __table_args__ = (
        Index("ix_consent_grants_user_client", "user_id", "client_id"),
        UniqueConstraint("live_key", name="uq_consent_grants_live_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True)
    scopes_granted: Mapped[str] = mapped_column(Text, default="")
    scopes_rejected: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    lawful_basis: Mapped[str] = mapped_column(String(32), default="consent")
    method: Mapped[str] = mapped_column(String(20), default=METHOD_OAUTH_CONSENT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(64))  # "citizen", "officer:<id>", "system"
    # "<user_id> <client_id>" while the grant may be live, NULL once it has ended (revoked, or expired and
    # replaced): unique, so two concurrent consents cannot both start a live grant for the same pair.
    live_key: Mapped[str | None] = mapped_column(String(200), default=_new_live_key)
    # Given in an assisted session (method "assisted"): the officer who acted alongside the citizen, the
    # session (idp.officers AssistedSession, whose audit rows carry the same id) and when.
    assisted_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assisted_session_id: Mapped[str | None] = mapped_column(String(32))
    assisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The citizen's own sign-in requirement for this sharing (issue 5: a vault call needs the strictest of
    # client, module and grant): at least ``min_acr``, no older than ``max_auth_age`` seconds. NULL: none.
    min_acr: Mapped[str | None] = mapped_column(String(64))
    max_auth_age: Mapped[int | None] = mapped_column(Integer)

    client: Mapped[clients.models.Client] = relationship(lazy="joined", viewonly=True)
    assisting_officer: Mapped[Any] = relationship("User", foreign_keys=[assisted_by], viewonly=True)
    modules: Mapped[list[GrantModule]] = relationship(
        back_populates="grant", cascade="all, delete-orphan", order_by="GrantModule.module", lazy="selectin"
    )

    @property
    def granted(self) -> frozenset[str]:
        return _split(self.scopes_granted)

    @granted.setter
    def granted(self, values: frozenset[str] | set[str]) -> None:
        self.scopes_granted = _join(values)

    @property
    def rejected(self) -> frozenset[str]:
        return _split(self.scopes_rejected)

    @rejected.setter
    def rejected(self, values: frozenset[str] | set[str]) -> None:
        self.scopes_rejected = _join(values)

    def is_live(self, at: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (at or utcnow())

    def module(self, name: str) -> GrantModule | None:
        return next((entry for entry in self.modules if entry.module == name), None)

    def allows(self, module: str, action: str) -> bool:
        entry = self.module(module)
        return entry is not None and entry.allows(action)

    @property
    def asks_for_step_up(self) -> bool:
        """Whether the citizen asked for a stronger sign-in each time this grant is used."""
        return self.min_acr is not None or self.max_auth_age is not None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.is_live() else "expired"


class GrantModule(db.Model):  # type: ignore[name-defined]
    """One vault module inside a grant, with the actions allowed on it."""

    __tablename__ = "consent_grant_modules"
    __table_args__ = (UniqueConstraint("grant_id", "module", name="uq_consent_grant_modules_grant_module"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("consent_grants.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(64))
    can_read: Mapped[bool] = mapped_column(Boolean, default=False)
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)

    grant: Mapped[Grant] = relationship(back_populates="modules")

    def allows(self, action: str) -> bool:
        return (action == "read" and self.can_read) or (action == "write" and self.can_write)

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(a for a, ok in (("read", self.can_read), ("write", self.can_write)) if ok)


class Receipt(db.Model):  # type: ignore[name-defined]
    """A signed consent receipt (JWS compact serialisation) issued on every change to a grant."""

    __tablename__ = "consent_receipts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    grant_id: Mapped[str] = mapped_column(ForeignKey("consent_grants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # granted, changed, narrowed, extended, revoked
    jws: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SharingCode(db.Model):  # type: ignore[name-defined]
    """A one-time code a citizen gives an organisation so it can ask for access; only a digest is kept."""

    __tablename__ = "consent_sharing_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_client_id: Mapped[str | None] = mapped_column(String(128))


class AccessRequest(db.Model):  # type: ignore[name-defined]
    """An organisation's request, by API, for a citizen's modules; the citizen approves or declines."""

    __tablename__ = "consent_access_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    modules: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # {"tenancy": ["read"], ...}
    purpose: Mapped[str] = mapped_column(Text, default="")
    duration_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending approved declined expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("consent_grants.id", ondelete="SET NULL"))

    client: Mapped[clients.models.Client] = relationship(lazy="joined", viewonly=True)


class AccessEvent(db.Model):  # type: ignore[name-defined]
    """One vault read or write by a client. Append-only; ``row_hash`` covers the content and ``prev_hash``."""

    __tablename__ = "consent_access_events"
    __table_args__ = (Index("ix_consent_access_events_user_org_module", "user_id", "organisation_id", "module"),)

    # Assigned under the chain-head lock, never by the database, so that gaps are tampering.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    client_id: Mapped[str] = mapped_column(String(128))
    organisation_id: Mapped[str] = mapped_column(String(64))
    organisation_name: Mapped[str] = mapped_column(String(200))
    module: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(10))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    officer_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AccessChainHead(db.Model):  # type: ignore[name-defined]
    """The single row every append locks first, so that concurrent writers cannot fork the chain."""

    __tablename__ = "consent_access_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class ClientNotification(db.Model):  # type: ignore[name-defined]
    """A back-channel notification to a client (revocation, declined request); failures are kept."""

    __tablename__ = "consent_client_notifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(128), index=True)
    event: Mapped[str] = mapped_column(String(40))
    uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
