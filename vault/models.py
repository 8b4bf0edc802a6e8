"""Vault tables. Nothing personal is stored in plaintext: record contents (kind included) are sealed blobs
and data keys are stored only wrapped. What stays readable is what the service needs to find rows: ids,
the module name, version numbers, times, and which client attested a version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.database import UTCDateTime, new_id, utcnow
from idp.extensions import db

SELF_ASSERTED = "self"
ATTESTED = "attested"


class DataKey(db.Model):  # type: ignore[name-defined]
    """A citizen's data key, wrapped under the KEK named by ``kek_id``. Deleting this row crypto-shreds
    every record of the citizen."""

    __tablename__ = "vault_data_keys"
    __table_args__ = (Index("ix_vault_data_keys_kek_id", "kek_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Record(db.Model):  # type: ignore[name-defined]
    """One record in a module; its contents live in versions, ``current_version`` is the live one."""

    __tablename__ = "vault_records"
    __table_args__ = (Index("ix_vault_records_user_module", "user_id", "module"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module: Mapped[str] = mapped_column(String(32))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecordVersion(db.Model):  # type: ignore[name-defined]
    """An immutable version of a record: the sealed contents plus who asserted them and when."""

    __tablename__ = "vault_record_versions"
    __table_args__ = (ForeignKeyConstraint(["record_id"], ["vault_records.id"], ondelete="CASCADE"),)

    record_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    schema_version: Mapped[int] = mapped_column(Integer)
    asserted_by: Mapped[str] = mapped_column(String(16))  # SELF_ASSERTED or ATTESTED
    client_id: Mapped[str | None] = mapped_column(String(100))  # the attesting client
    attester_name: Mapped[str | None] = mapped_column(String(200))  # its organisation, as shown to the citizen
    asserted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HeldForm(db.Model):  # type: ignore[name-defined]
    """What a citizen typed into a sensitive module's form when the POST found their step-up lapsed, kept
    for a few minutes so the page can show it again after the step-up (``vault.held_forms``). Sealed under
    the citizen's data key like a record; it goes with the sign-in session (foreign-key cascade), with the
    account, on erasure, when taken, and when expired (``logbook oauth2 purge``)."""

    __tablename__ = "vault_held_forms"
    __table_args__ = (
        Index("ix_vault_held_forms_session_path", "login_session_id", "path"),
        Index("ix_vault_held_forms_user_id", "user_id"),
        Index("ix_vault_held_forms_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    login_session_id: Mapped[str] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(200))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
