"""The records API of the vault: create, read, update, delete, history, export and erasure.

Every write is validated against the module's schema before anything is stored, and makes a new
version; earlier versions stay until the citizen deletes the record. Every read decrypts with the
citizen's data key and the (user, module, record id, version) binding, so a row moved anywhere else fails.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import bindparam, delete, exc, func, select

from idp.database import new_id, utcnow
from idp.errors import DomainError, NotFound
from idp.extensions import db
from idp.prepared import Prepared
from vault import catalogue, keys
from vault.crypto import ModuleOpener, RecordIntegrityError, decrypt_record, encrypt_record
from vault.models import ATTESTED, SELF_ASSERTED, DataKey, Record, RecordVersion

log = logging.getLogger(__name__)


class RecordUnreadable(DomainError):
    """A stored record failed its integrity check: it was tampered with or moved."""

    status_code = 500
    code = "record_integrity_error"


class StaleVersion(DomainError):
    status_code = 409
    code = "stale_version"


@dataclass(frozen=True)
class Provenance:
    """Who asserted a version: the citizen, or an organisation's client that attested it."""

    asserted_by: str  # SELF_ASSERTED or ATTESTED
    at: datetime
    client_id: str | None = None
    attester_name: str | None = None

    @classmethod
    def citizen(cls) -> Provenance:
        return cls(SELF_ASSERTED, utcnow())

    @classmethod
    def attested(cls, client_id: str, attester_name: str) -> Provenance:
        return cls(ATTESTED, utcnow(), client_id, attester_name)

    @property
    def is_attested(self) -> bool:
        return self.asserted_by == ATTESTED

    def as_json(self) -> dict[str, Any]:
        return {
            "asserted_by": "organisation" if self.is_attested else "citizen",
            "client_id": self.client_id,
            "organisation": self.attester_name,
            "asserted_at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class RecordView:
    id: str
    module: str
    version: int
    data: dict[str, Any]
    provenance: Provenance
    created_at: datetime
    updated_at: datetime

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "module": self.module,
            "version": self.version,
            "data": self.data,
            "provenance": self.provenance.as_json(),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


# -- reading ------------------------------------------------------------------------------------------
# The read path is the API's hot path: one Core statement, built once, bringing the current version of
# every record together with the citizen's wrapped data key (DESIGN.md: lean Core on hot paths).
_records, _versions, _keys = Record.__table__, RecordVersion.__table__, DataKey.__table__
_CURRENT = (
    select(
        _records.c.id,
        _records.c.current_version,
        _records.c.created_at,
        _records.c.updated_at,
        _versions.c.ciphertext,
        _versions.c.asserted_by,
        _versions.c.client_id,
        _versions.c.attester_name,
        _versions.c.asserted_at,
        _keys.c.kek_id,
        _keys.c.wrapped_key,
    )
    .select_from(
        _records.join(
            _versions,
            (_versions.c.record_id == _records.c.id) & (_versions.c.version == _records.c.current_version),
        ).outerjoin(_keys, _keys.c.user_id == _records.c.user_id)
    )
    .where(_records.c.user_id == bindparam("user_id"), _records.c.module == bindparam("module"))
    .order_by(_records.c.created_at, _records.c.id)
)
_ONE = _CURRENT.where(_records.c.id == bindparam("record_id"))
_CURRENT_PREPARED = Prepared(_CURRENT)  # the API's module read (see idp.prepared)


def _key_of(row: Any, user_id: str) -> bytes:
    if row.wrapped_key is None:
        raise keys.DataKeyMissing("This vault's key has been destroyed; its records cannot be read")
    return keys.unwrap(row.kek_id, row.wrapped_key, user_id)


def _open(key: bytes, user_id: str, module: str, record_id: str, version: int, blob: bytes) -> dict[str, Any]:
    try:
        return json.loads(decrypt_record(key, blob, user_id, module, record_id, version))  # type: ignore[no-any-return]
    except RecordIntegrityError as error:
        raise _unreadable(record_id, version, module) from error


def _unreadable(record_id: str, version: int, module: str) -> RecordUnreadable:
    log.error("vault record %s v%s of %s failed its integrity check", record_id, version, module)
    return RecordUnreadable("A record in your vault failed its integrity check and cannot be shown")


def _view(key: bytes, user_id: str, module: str, row: Any) -> RecordView:
    return RecordView(
        id=row.id,
        module=module,
        version=row.current_version,
        data=_open(key, user_id, module, row.id, row.current_version, row.ciphertext),
        provenance=Provenance(row.asserted_by, row.asserted_at, row.client_id, row.attester_name),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_records(user_id: str, module: str) -> list[RecordView]:
    """The current version of every record the citizen holds in ``module`` (the API's hot path)."""
    catalogue.get(module)
    rows = db.session.execute(_CURRENT, {"user_id": user_id, "module": module}).all()
    if not rows:
        return []
    key = _key_of(rows[0], user_id)
    return [_view(key, user_id, module, row) for row in rows]


def list_records_json(user_id: str, module: str) -> bytes:
    """``list_records`` as the API's JSON body, ``{"module": ..., "records": [...]}``, each record shaped
    as ``RecordView.as_json``. The hot path: each record's plaintext is already the canonical JSON written
    at encryption (and AES-GCM authenticated it), so it goes into the body as it is, never parsed and
    encoded again; the AEAD and the associated data's common part are set up once per module."""
    catalogue.get(module)
    rows = _CURRENT_PREPARED.execute({"user_id": user_id, "module": module})
    opener = ModuleOpener(_key_of(rows[0], user_id), user_id, module) if rows else None
    records = b",".join(_record_json(opener, module, row) for row in rows)
    return b'{"module":' + _json_string(module).encode() + b',"records":[' + records + b"]}"


def _record_json(opener: Any, module: str, row: Any) -> bytes:
    """One record as ``RecordView.as_json`` would give it, written straight as JSON text (tests hold the
    two shapes equal): every string goes through the JSON encoder's own escaping."""
    try:
        data = opener.decrypt(row.ciphertext, row.id, row.current_version)
    except RecordIntegrityError as error:
        raise _unreadable(row.id, row.current_version, module) from error
    attested = row.asserted_by == ATTESTED
    provenance = (
        f'{{"asserted_by":"{"organisation" if attested else "citizen"}","client_id":{_json_string(row.client_id)},'
        f'"organisation":{_json_string(row.attester_name)},"asserted_at":"{row.asserted_at.isoformat()}"}}'
    )
    head = (
        f'{{"id":{_json_string(row.id)},"module":{_json_string(module)},"version":{int(row.current_version)},'
        f'"provenance":{provenance},"created_at":"{row.created_at.isoformat()}",'
        f'"updated_at":"{row.updated_at.isoformat()}","data":'
    )
    return head.encode() + data + b"}"


def _json_string(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def get_record(user_id: str, module: str, record_id: str) -> RecordView:
    row = db.session.execute(_ONE, {"user_id": user_id, "module": module, "record_id": record_id}).first()
    if row is None:
        raise NotFound("No such record in this module")
    return _view(_key_of(row, user_id), user_id, module, row)


def history(user_id: str, module: str, record_id: str) -> list[RecordView]:
    """Every stored version of a record, newest first."""
    record = _owned_record(user_id, module, record_id)
    key = keys.required_data_key(user_id)
    versions = db.session.scalars(
        select(RecordVersion).where(RecordVersion.record_id == record.id).order_by(RecordVersion.version.desc())
    )
    return [_version_view(key, record, version) for version in versions]


def _version_view(key: bytes, record: Record, version: RecordVersion) -> RecordView:
    return RecordView(
        id=record.id,
        module=record.module,
        version=version.version,
        data=_open(key, record.user_id, record.module, record.id, version.version, version.ciphertext),
        provenance=Provenance(version.asserted_by, version.asserted_at, version.client_id, version.attester_name),
        created_at=record.created_at,
        updated_at=version.asserted_at,
    )


def superseded_attestation(versions: list[RecordView]) -> Provenance | None:
    """The latest attestation that a later citizen edit replaced, if any (``versions`` newest first)."""
    if not versions or versions[0].provenance.is_attested:
        return None
    return next((version.provenance for version in versions if version.provenance.is_attested), None)


def counts_by_module(user_id: str) -> dict[str, int]:
    rows = db.session.execute(
        select(Record.module, func.count()).where(Record.user_id == user_id).group_by(Record.module)
    )
    return {module: count for module, count in rows}


# -- writing ------------------------------------------------------------------------------------------
def _owned_record(user_id: str, module: str, record_id: str) -> Record:
    record = db.session.scalar(
        select(Record).where(Record.id == record_id, Record.user_id == user_id, Record.module == module)
    )
    if record is None:
        raise NotFound("No such record in this module")
    return record


def _new_version(key: bytes, record: Record, version: int, data: dict[str, Any], by: Provenance) -> RecordVersion:
    plaintext = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return RecordVersion(
        record_id=record.id,
        version=version,
        ciphertext=encrypt_record(key, plaintext, record.user_id, record.module, record.id, version),
        schema_version=catalogue.get(record.module).version,
        asserted_by=by.asserted_by,
        client_id=by.client_id,
        attester_name=by.attester_name,
        asserted_at=by.at,
    )


def create_record(user_id: str, module: str, data: dict[str, Any], by: Provenance) -> RecordView:
    """Validate, then store a new record as version 1."""
    catalogue.validate(module, data)
    key = keys.ensure_data_key(user_id)
    record = Record(id=new_id(), user_id=user_id, module=module, current_version=1, created_at=by.at, updated_at=by.at)
    db.session.add_all([record, _new_version(key, record, 1, data, by)])
    db.session.commit()
    return _snapshot(record, data, by)


def update_record(
    user_id: str, module: str, record_id: str, data: dict[str, Any], by: Provenance, expected_version: int | None = None
) -> RecordView:
    """Validate, then store ``data`` as the record's next version; the previous version is kept."""
    catalogue.validate(module, data)
    record = _owned_record(user_id, module, record_id)
    if expected_version is not None and expected_version != record.current_version:
        raise StaleVersion("This record was changed since you opened it. Review the latest version and try again")
    key = keys.required_data_key(user_id)
    version = record.current_version + 1
    db.session.add(_new_version(key, record, version, data, by))
    record.current_version, record.updated_at = version, by.at
    try:
        db.session.commit()
    except exc.IntegrityError as error:
        # Another write took this version number first: nothing of ours was stored.
        db.session.rollback()
        raise StaleVersion("This record was changed at the same time. Review it and try again") from error
    return _snapshot(record, data, by)


def _snapshot(record: Record, data: dict[str, Any], by: Provenance) -> RecordView:
    return RecordView(record.id, record.module, record.current_version, data, by, record.created_at, record.updated_at)


def delete_record(user_id: str, module: str, record_id: str) -> None:
    """The citizen's delete: the record and all its versions go."""
    record = _owned_record(user_id, module, record_id)
    db.session.execute(delete(RecordVersion).where(RecordVersion.record_id == record.id))
    db.session.delete(record)
    db.session.commit()
