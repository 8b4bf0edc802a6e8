"""Crypto-shredding: erasure destroys the wrapped data key, so nothing the KEK holds can open the records."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from flask import Flask

from idp.extensions import db
from tests.builders import create_user
from tests.vault.helpers import TENANCY
from vault import keys, services
from vault.erasure import erase_vault
from vault.keys import DataKeyMissing
from vault.models import DataKey, RecordVersion
from vault.services import Provenance


def test_erasure_makes_records_unreadable_even_with_the_kek_and_the_database_file(app: Flask) -> None:
    """Erasure makes records unreadable even with the KEK and the database file."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads the SQLite file itself")
    user_id = create_user().id
    record = services.create_record(user_id, "tenancy", TENANCY, Provenance.citizen())
    wrapped = db.session.get(DataKey, user_id).wrapped_key
    sealed = db.session.get(RecordVersion, (record.id, 1)).ciphertext
    db.session.commit()
    database = Path(db.engine.url.database)
    # The worst case: the key already checkpointed into the main file, and another process keeping the
    # database open, so closing our connections does not checkpoint the erasure for us.
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    other_process = sqlite3.connect(database)
    try:
        erase_vault(user_id)
        db.session.remove()
        on_disk = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))
    finally:
        other_process.close()
    assert wrapped not in on_disk and sealed not in on_disk
    assert keys.kek_store().current_id  # the KEK is still here, and it wraps nothing for this citizen
    assert keys.data_key(user_id) is None


def test_erasure_empties_the_wal_even_while_another_connection_keeps_checkpointing(app: Flask) -> None:
    """SQLite answers a second checkpoint with "busy" at once; erasure must try again, not leave the key in the WAL."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("reads the SQLite file itself")
    user_id = create_user().id
    services.create_record(user_id, "tenancy", TENANCY, Provenance.citizen())
    wrapped = db.session.get(DataKey, user_id).wrapped_key
    db.session.commit()
    database = Path(db.engine.url.database)
    stop = threading.Event()

    def checkpoint_all_the_time() -> None:  # what the background checkpointer does, without its pauses
        with sqlite3.connect(database, isolation_level=None) as connection:
            while not stop.is_set():
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    rival = threading.Thread(target=checkpoint_all_the_time)
    rival.start()
    try:
        erase_vault(user_id)
        db.session.remove()
    finally:
        stop.set()
        rival.join()
    assert wrapped not in b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))


def test_records_left_behind_after_the_key_is_destroyed_cannot_be_read(app: Flask) -> None:
    """Erasure destroys the wrapped data key first: if deletion stopped there, the records are already gone."""
    user = create_user()
    services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    db.session.execute(db.delete(DataKey).where(DataKey.user_id == user.id))
    db.session.commit()
    with pytest.raises(DataKeyMissing):
        services.list_records(user.id, "tenancy")
