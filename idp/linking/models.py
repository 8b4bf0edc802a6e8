"""A council service's own record of the people it serves, and the citizens' links to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clients.models import Client
from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db


class ServiceRecord(db.Model):  # type: ignore[name-defined]
    """One person as the service knows them: a reference (account number, tenancy reference) and the
    second fact that goes with it (postcode, date of birth), both normalised (``facts.normalise``)."""

    __tablename__ = "service_records"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(64))
    check_value: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServiceLink(db.Model):  # type: ignore[name-defined]
    """A citizen proved they are the person in a service record. One link per citizen and service, and
    one citizen per record (a second person cannot claim the same council-tax account)."""

    __tablename__ = "service_links"
    __table_args__ = (UniqueConstraint("user_id", "client_id"), UniqueConstraint("record_id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(ForeignKey("service_records.id", ondelete="CASCADE"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship(lazy="joined")


class LinkFailure(db.Model):  # type: ignore[name-defined]
    """A wrong answer, kept for a while to throttle guessing per citizen and service."""

    __tablename__ = "service_link_failures"
    __table_args__ = (Index("ix_service_link_failures_user_client", "user_id", "client_id", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
