"""``logbook backup`` / ``logbook restore``: database plus wrapped keys, without the KEK; restore refuses
to overwrite a database that holds data unless told ``--force``. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import stat
import tarfile
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from idp.accounts.models import User
from idp.backup import SIGNING_PREFIX, read_manifest
from idp.extensions import db
from idp.keyring import Keyring
from tests.builders import create_user


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def emails() -> list[str | None]:
    db.session.remove()
    return sorted(db.session.scalars(select(User.email)))


def empty_every_table() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def test_a_backup_restores_into_an_empty_database(app: Flask, tmp_path: Path) -> None:
    create_user(email="kept@example.org")
    code, output = run(app, "backup", str(tmp_path / "logbook.backup"))
    assert code == 0, output
    empty_every_table()
    code, output = run(app, "restore", str(tmp_path / "logbook.backup"))
    assert code == 0, output
    assert emails() == ["kept@example.org"]


def test_restore_refuses_a_database_that_holds_data(app: Flask, tmp_path: Path) -> None:
    """Restore refuses to overwrite a non-empty database without --force."""
    create_user(email="old@example.org")
    run(app, "backup", str(tmp_path / "logbook.backup"))
    create_user(email="new@example.org")
    code, output = run(app, "restore", str(tmp_path / "logbook.backup"))
    assert code != 0 and "--force" in output
    assert emails() == ["new@example.org", "old@example.org"]


def test_restore_with_force_replaces_what_the_database_holds(app: Flask, tmp_path: Path) -> None:
    create_user(email="old@example.org")
    run(app, "backup", str(tmp_path / "logbook.backup"))
    create_user(email="new@example.org")
    code, output = run(app, "restore", "--force", str(tmp_path / "logbook.backup"))
    assert code == 0, output
    assert emails() == ["old@example.org"]


def test_the_backup_holds_no_private_key_and_no_kek(app: Flask, tmp_path: Path) -> None:
    """Database plus wrapped keys, without the KEK; signing keys travel as public halves only."""
    create_user()
    run(app, "backup", str(tmp_path / "logbook.backup"))
    with tarfile.open(tmp_path / "logbook.backup") as archive:
        names = archive.getnames()
        jwks = [json.load(archive.extractfile(name)) for name in names if name.startswith(SIGNING_PREFIX)]  # type: ignore[arg-type]
    assert jwks and all("d" not in jwk and "p" not in jwk for jwk in jwks)
    assert not [name for name in names if "kek" in name.lower()]


def test_the_backup_file_is_readable_by_its_owner_only(app: Flask, tmp_path: Path) -> None:
    """It holds personal data (emails, phone numbers, password hashes)."""
    create_user()
    run(app, "backup", str(tmp_path / "logbook.backup"))
    assert stat.S_IMODE((tmp_path / "logbook.backup").stat().st_mode) == 0o600


def test_the_manifest_counts_rows_and_names_the_keys(app: Flask, tmp_path: Path) -> None:
    create_user()
    run(app, "backup", str(tmp_path / "logbook.backup"))
    manifest = read_manifest(tmp_path / "logbook.backup")
    assert manifest.row_counts["users"] == 1
    assert manifest.dialect == db.engine.dialect.name
    assert set(manifest.signing_kids) == {key.kid for key in app.extensions["logbook_keyring"].keys}


def test_restored_signing_keys_verify_only_and_a_fresh_current_key_signs(app: Flask, tmp_path: Path) -> None:
    """On a new host the old kids come back as retiring (tokens signed before the disaster still verify)."""
    create_user()
    run(app, "backup", str(tmp_path / "logbook.backup"))
    empty_every_table()
    new_keys = tmp_path / "new-host-keys"
    app.config["KEYS_DIR"] = new_keys
    run(app, "restore", str(tmp_path / "logbook.backup"))
    old_kids = {key.kid for key in app.extensions["logbook_keyring"].keys}
    keyring = Keyring(new_keys).ensure()
    statuses = {key.kid: key.status for key in keyring.keys}
    assert {statuses[kid] for kid in old_kids} == {"retiring"}
    assert keyring.signing_key("ES256").kid not in old_kids


def test_a_file_that_is_not_a_backup_is_refused_cleanly(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a backup")
    code, output = run(app, "restore", "--force", str(tmp_path / "notes.txt"))
    assert code == 1 and "cannot read backup" in output


def _citizen_with_a_vault_record() -> None:
    from vault import services

    citizen = create_user(email="vault@example.org")
    record = {"kind": "repair", "reported_on": "2025-01-02", "description": "The kitchen tap drips."}
    services.create_record(citizen.id, "tenancy", record, services.Provenance.citizen())


def test_the_manifest_names_the_keks_the_vault_needs_but_the_backup_holds_none(app: Flask, tmp_path: Path) -> None:
    """Wrapped data keys travel in the database; the KEK that unwraps them is kept apart."""
    _citizen_with_a_vault_record()
    run(app, "backup", str(tmp_path / "logbook.backup"))
    manifest = read_manifest(tmp_path / "logbook.backup")
    assert manifest.row_counts["vault_data_keys"] == 1 and len(manifest.kek_ids) == 1
    with tarfile.open(tmp_path / "logbook.backup") as archive:
        everything = b"".join(archive.extractfile(m).read() for m in archive.getmembers() if m.isfile())  # type: ignore[union-attr]
    from vault.crypto import b64u_encode, load_directory_store

    kek = load_directory_store(app.config["KEYS_DIR"])._keks[manifest.kek_ids[0]]
    assert kek.key not in everything and b64u_encode(kek.key).encode() not in everything


def test_restoring_where_the_kek_is_missing_warns_the_operator(app: Flask, tmp_path: Path) -> None:
    _citizen_with_a_vault_record()
    run(app, "backup", str(tmp_path / "logbook.backup"))
    empty_every_table()
    app.config["KEYS_DIR"] = tmp_path / "new-host-keys"
    code, output = run(app, "restore", str(tmp_path / "logbook.backup"))
    assert code == 0 and "WARNING" in output and read_manifest(tmp_path / "logbook.backup").kek_ids[0] in output
