"""KEK rotation: ``logbook vault rotate-kek`` re-wraps data keys only; old KEKs can then be retired."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from idp.extensions import db
from tests.builders import create_user
from tests.vault.helpers import TENANCY
from vault import keys, services
from vault.crypto import load_directory_store
from vault.models import DataKey, RecordVersion
from vault.services import Provenance


@pytest.fixture
def kek_dir(app: Flask, tmp_path: Path) -> Path:
    """This test's own KEK store, so rotating and retiring touch nothing shared."""
    app.config.update(KEYS_DIR=tmp_path, VAULT_KEK=None)
    keys.install_store(keys.load_store())
    return tmp_path / "vault-kek"


def _citizens_with_records(count: int) -> list[tuple[str, str]]:
    users = [create_user(f"citizen{n}@example.org") for n in range(count)]
    return [(u.id, services.create_record(u.id, "tenancy", TENANCY, Provenance.citizen()).id) for u in users]


def _ciphertexts() -> dict[tuple[str, int], bytes]:
    return {(v.record_id, v.version): v.ciphertext for v in db.session.scalars(db.select(RecordVersion))}


def test_rotation_rewraps_every_data_key_and_leaves_records_untouched(app: Flask, kek_dir: Path) -> None:
    """rotate-kek re-wraps every data key under a new KEK without touching records."""
    owned = _citizens_with_records(3)
    old_kek, before = keys.kek_store().current_id, _ciphertexts()
    result = app.test_cli_runner().invoke(args=["vault", "rotate-kek"])
    assert result.exit_code == 0, result.output
    assert set(keys.keys_per_kek()) == {keys.kek_store().current_id} != {old_kek}
    assert _ciphertexts() == before
    assert all(services.get_record(user_id, "tenancy", record_id).data == TENANCY for user_id, record_id in owned)


def test_the_old_kek_can_be_retired_and_everything_stays_readable(app: Flask, kek_dir: Path) -> None:
    """KEK rotation keeps every record readable and the old KEK can be deleted."""
    owned = _citizens_with_records(2)
    old_kek = keys.kek_store().current_id
    runner = app.test_cli_runner()
    runner.invoke(args=["vault", "rotate-kek"])
    result = runner.invoke(args=["vault", "retire-kek", old_kek])
    assert result.exit_code == 0, result.output
    assert not (kek_dir / f"{old_kek}.key").exists()
    keys.install_store(load_directory_store(kek_dir.parent))  # a restart: only the new KEK on disk
    assert all(services.get_record(user_id, "tenancy", record_id).data == TENANCY for user_id, record_id in owned)


def test_retiring_a_kek_that_still_wraps_data_keys_is_refused(app: Flask, kek_dir: Path) -> None:
    _citizens_with_records(1)
    keys.kek_store().add_new()  # a new KEK, but no re-wrap yet
    old_kek = keys.kek_store().ids[0]
    result = app.test_cli_runner().invoke(args=["vault", "retire-kek", old_kek])
    assert result.exit_code != 0 and "still wrapped" in result.output
    assert (kek_dir / f"{old_kek}.key").exists()


def test_an_interrupted_rotation_resumes_where_it_stopped(app: Flask, kek_dir: Path) -> None:
    """rotate-kek is resumable if interrupted."""
    owned = _citizens_with_records(3)

    def crash_after_first_batch(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keys.rotate(batch_size=1, progress=crash_after_first_batch)
    new_kek = keys.kek_store().current_id
    assert keys.keys_per_kek()[new_kek] == 1 and sum(keys.keys_per_kek().values()) == 3
    assert all(services.get_record(user_id, "tenancy", record_id).data == TENANCY for user_id, record_id in owned)
    result = app.test_cli_runner().invoke(args=["vault", "rotate-kek", "--resume"])
    assert result.exit_code == 0, result.output
    assert keys.keys_per_kek() == {new_kek: 3}


def test_a_worker_started_before_a_rotation_wraps_new_data_keys_under_the_new_kek(app: Flask, kek_dir: Path) -> None:
    """A running worker must not keep wrapping under the KEK that is being retired."""
    other_process = load_directory_store(kek_dir.parent)
    newest = other_process.add_new()  # `logbook vault rotate-kek` in another process
    user = create_user()
    services.create_record(user.id, "tenancy", TENANCY, Provenance.citizen())
    assert db.session.get(DataKey, user.id).kek_id == newest.kek_id
