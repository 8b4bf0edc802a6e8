"""Versioned, validated, encrypted records with provenance (vault/services.py)."""

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from idp.extensions import db
from tests.builders import create_user
from vault import services
from vault.catalogue import RecordInvalid
from vault.export import export_all
from vault.models import Record, RecordVersion
from vault.services import Provenance, RecordUnreadable

TENANCY = {
    "kind": "tenancy",
    "tenancy_reference": "T-99812",
    "property_address": "Flat 3, 17 Quarry Lane, Millbrook",
    "start_date": "2024-04-01",
    "rent_amount": 451.25,
    "rent_frequency": "monthly",
    "landlord": "Millbrook Housing Association",
}


def test_a_stored_record_reads_back_as_written(app: Flask) -> None:
    user = create_user()
    created = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    (read,) = services.list_records(user.id, "tenancy")
    assert (read.id, read.version, read.data) == (created.id, 1, TENANCY)


def test_the_database_file_holds_no_plaintext_of_any_field(app: Flask, tmp_path: Path) -> None:
    """Raw database rows contain no plaintext of any field (search the SQLite file bytes for a known value)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads the SQLite file itself")
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    changed = {**TENANCY, "landlord": "Zebedee Lettings"}
    services.update_record(user.id, "tenancy", record.id, changed, Provenance.citizen())
    db.session.remove()
    db.engine.dispose()  # everything checkpointed and closed: the file is all there is
    raw = Path(db.engine.url.database).read_bytes()
    for value in ("T-99812", "Quarry Lane", "2024-04-01", "451.25", "Millbrook Housing", "Zebedee", "monthly"):
        assert value.encode() not in raw, value


def test_no_database_row_holds_plaintext_of_any_field(app: Flask) -> None:
    """The same check through SQL, so that it also runs on PostgreSQL: every row of every table."""
    user = create_user()
    services.create_record(user.id, "tenancy", TENANCY, Provenance.attested("rents", "Millbrook Council"))
    dumped = repr([db.session.execute(db.select(table)).all() for table in db.metadata.sorted_tables])
    for value in ("T-99812", "Quarry Lane", "451.25", "Millbrook Housing", "monthly"):
        assert value not in dumped, value


def test_an_update_keeps_the_previous_version(app: Flask) -> None:
    """Records are versioned (history kept, a write never destroys the previous version)."""
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    services.update_record(user.id, "tenancy", record.id, {**TENANCY, "rent_amount": 470}, Provenance.citizen())
    versions = services.history(user.id, "tenancy", record.id)
    assert [(v.version, v.data["rent_amount"]) for v in versions] == [(2, 470), (1, 451.25)]


CITIZEN = Provenance.citizen()


def test_a_rejected_write_names_the_field_and_changes_nothing(app: Flask) -> None:
    """A rejected write names the field and loses nothing already stored."""
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    with pytest.raises(RecordInvalid) as rejected:
        services.update_record(user.id, "tenancy", record.id, {**TENANCY, "start_date": "2024-02-30"}, CITIZEN)
    assert rejected.value.errors == {"start_date": "Start date must be a real date"}
    assert [v.data for v in services.history(user.id, "tenancy", record.id)] == [TENANCY]


def test_a_missing_required_field_is_named(app: Flask) -> None:
    user = create_user()
    with pytest.raises(RecordInvalid) as rejected:
        services.create_record(user.id, "money", {"kind": "debt", "amount_owed": 20}, Provenance.citizen())
    assert rejected.value.errors == {"creditor": "Enter who do you owe money to?"}
    assert services.list_records(user.id, "money") == []


def test_a_field_from_another_record_type_is_rejected(app: Flask) -> None:
    user = create_user()
    with pytest.raises(RecordInvalid) as rejected:
        services.create_record(user.id, "tenancy", {**TENANCY, "diagnosis": "flu"}, Provenance.citizen())
    assert list(rejected.value.errors) == ["diagnosis"]


def test_a_citizen_edit_of_an_attested_record_supersedes_the_attestation(app: Flask) -> None:
    """Attested records cannot be silently edited by the citizen (an edit makes a new self-asserted version
    and the attestation is shown as superseded)."""
    user = create_user()
    council = Provenance.attested("rents-service", "Millbrook Council")
    record = services.create_record(user.id, "tenancy", TENANCY, council)
    services.update_record(user.id, "tenancy", record.id, {**TENANCY, "rent_amount": 300}, Provenance.citizen())
    versions = services.history(user.id, "tenancy", record.id)
    assert versions[0].provenance.asserted_by == "self"
    superseded = services.superseded_attestation(versions)
    assert superseded is not None and superseded.attester_name == "Millbrook Council"


def test_ciphertexts_swapped_between_records_in_the_database_are_detected(app: Flask) -> None:
    """A ciphertext moved to another row or user fails to decrypt with a clear integrity error."""
    user = create_user()
    first = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    second = services.create_record(user.id, "tenancy", {**TENANCY, "landlord": "Other"}, Provenance.citizen())
    one, two = (db.session.get(RecordVersion, (record.id, 1)) for record in (first, second))
    one.ciphertext, two.ciphertext = two.ciphertext, one.ciphertext
    db.session.commit()
    with pytest.raises(RecordUnreadable):
        services.get_record(user.id, "tenancy", first.id)


def test_a_ciphertext_moved_to_another_user_is_detected(app: Flask) -> None:
    alice, bob = create_user("alice@example.org"), create_user("bob@example.org")
    alices = services.create_record(alice.id, "tenancy", TENANCY, Provenance.citizen())
    bobs = services.create_record(bob.id, "tenancy", {**TENANCY, "landlord": "Other"}, Provenance.citizen())
    db.session.get(RecordVersion, (bobs.id, 1)).ciphertext = db.session.get(RecordVersion, (alices.id, 1)).ciphertext
    db.session.commit()
    with pytest.raises(RecordUnreadable):
        services.get_record(bob.id, "tenancy", bobs.id)


def test_deleting_a_record_removes_every_version(app: Flask) -> None:
    user = create_user()
    record = services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    services.update_record(user.id, "tenancy", record.id, {**TENANCY, "rent_amount": 1}, Provenance.citizen())
    services.delete_record(user.id, "tenancy", record.id)
    assert db.session.scalars(select(RecordVersion).where(RecordVersion.record_id == record.id)).all() == []
    assert db.session.get(Record, record.id) is None


def test_the_export_contains_every_record_of_every_module(app: Flask) -> None:
    """Download of everything (a JSON export of all modules with provenance)."""
    user = create_user()
    ids = {
        services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen()).id,
        services.create_record(
            user.id,
            "support",
            {"kind": "need", "area": "money", "description": "Debt advice"},
            Provenance.attested("advice", "Citizens Advice Millbrook"),
        ).id,
        services.create_record(user.id, "employment", {"kind": "skill", "skill": "Forklift"}, Provenance.citizen()).id,
    }
    export = export_all(user.id)
    exported = {r["id"]: r for m in export["modules"].values() for r in m["records"]}
    assert set(exported) == ids
    assert set(export["modules"]) == {
        "identity",
        "contact",
        "household",
        "tenancy",
        "money",
        "benefits",
        "health",
        "employment",
        "support",
    }
    assert {r["provenance"]["asserted_by"] for r in exported.values()} == {"citizen", "organisation"}
