"""Envelope encryption (vault/crypto.py): no Flask, no database."""

from pathlib import Path

import pytest

from vault.crypto import (
    KekStore,
    RecordIntegrityError,
    WrappedKey,
    b64u_encode,
    decrypt_record,
    encrypt_record,
    load_configured_store,
    load_directory_store,
    new_data_key,
)


def test_a_record_round_trips() -> None:
    key = new_data_key()
    blob = encrypt_record(key, b'{"rent": 450}', "user-1", "tenancy", "rec-1", 1)
    assert decrypt_record(key, blob, "user-1", "tenancy", "rec-1", 1) == b'{"rent": 450}'


@pytest.mark.parametrize(
    "moved_to",
    [
        ("user-2", "tenancy", "rec-1", 1),
        ("user-1", "money", "rec-1", 1),
        ("user-1", "tenancy", "rec-2", 1),
        ("user-1", "tenancy", "rec-1", 2),
    ],
    ids=["other user", "other module", "other record", "other version"],
)
def test_a_ciphertext_moved_to_another_row_fails_its_integrity_check(moved_to: tuple[str, str, str, int]) -> None:
    """Each record is encrypted with associated data binding user, module, record id and version."""
    key = new_data_key()
    blob = encrypt_record(key, b"secret", "user-1", "tenancy", "rec-1", 1)
    with pytest.raises(RecordIntegrityError):
        decrypt_record(key, blob, *moved_to)


def test_a_tampered_tag_fails_its_integrity_check() -> None:
    key = new_data_key()
    blob = bytearray(encrypt_record(key, b"secret", "user-1", "tenancy", "rec-1", 1))
    blob[-1] ^= 0x01
    with pytest.raises(RecordIntegrityError):
        decrypt_record(key, bytes(blob), "user-1", "tenancy", "rec-1", 1)


def test_a_truncated_ciphertext_is_an_integrity_error_not_a_crash() -> None:
    with pytest.raises(RecordIntegrityError):
        decrypt_record(new_data_key(), b"\x01short", "user-1", "tenancy", "rec-1", 1)


def test_a_wrapped_data_key_copied_to_another_user_does_not_unwrap(tmp_path: Path) -> None:
    store = load_directory_store(tmp_path)
    wrapped = store.wrap(new_data_key(), "user-1")
    with pytest.raises(RecordIntegrityError):
        store.unwrap(wrapped, "user-2")


def test_the_first_start_generates_a_kek_readable_only_by_its_owner(tmp_path: Path) -> None:
    store = load_directory_store(tmp_path)
    (kek_file,) = (tmp_path / "vault-kek").glob("*.key")
    assert kek_file.stem == store.current_id
    assert kek_file.stat().st_mode & 0o777 == 0o600


def test_a_restart_loads_the_same_kek(tmp_path: Path) -> None:
    wrapped = load_directory_store(tmp_path).wrap(b"k" * 32, "user-1")
    assert load_directory_store(tmp_path).unwrap(wrapped, "user-1") == b"k" * 32


def test_a_new_kek_becomes_current_and_old_wrappings_still_open(tmp_path: Path) -> None:
    store = load_directory_store(tmp_path)
    old = store.wrap(b"k" * 32, "user-1")
    store.add_new()
    assert store.current_id != old.kek_id
    assert store.rewrap(old, "user-1").kek_id == store.current_id
    assert load_directory_store(tmp_path).current_id == store.current_id


def test_a_configured_kek_list_makes_its_first_entry_current() -> None:
    first, second = new_data_key(), new_data_key()
    store = load_configured_store(f"new={b64u_encode(first)},old={b64u_encode(second)}")
    assert store.current_id == "new"
    assert isinstance(store.wrap(b"k" * 32, "u"), WrappedKey)


def test_a_single_configured_kek_gets_a_stable_id() -> None:
    setting = b64u_encode(new_data_key())
    assert load_configured_store(setting).current_id == load_configured_store(setting).current_id


def test_the_current_kek_cannot_be_removed(tmp_path: Path) -> None:
    store: KekStore = load_directory_store(tmp_path)
    with pytest.raises(Exception, match="current"):
        store.remove(store.current_id)
