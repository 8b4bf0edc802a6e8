"""The app's KEK store and the data keys it wraps: loading, unwrapping, rotation and retirement."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import exc, func, select, update

from idp.database import utcnow
from idp.errors import Conflict, DomainError
from idp.extensions import db
from vault.crypto import (
    KekStore,
    UnknownKek,
    WrappedKey,
    load_configured_store,
    load_directory_store,
    new_data_key,
)
from vault.models import DataKey

EXTENSION = "logbook_vault_keks"


class DataKeyMissing(DomainError):
    """The citizen's data key is gone (crypto-shredded): their records can never be read again."""

    status_code = 410
    code = "data_key_destroyed"


def load_store() -> KekStore:
    configured = current_app.config.get("VAULT_KEK")
    if configured:
        return load_configured_store(configured)
    return load_directory_store(current_app.config["KEYS_DIR"])


def kek_store() -> KekStore:
    """This process's KEK store, loaded (and on first start generated) on first use."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        store = current_app.extensions[EXTENSION] = load_store()
    return store  # type: ignore[no-any-return]


def install_store(store: KekStore) -> None:
    current_app.extensions[EXTENSION] = store


def unwrap(row_kek_id: str, wrapped: bytes, user_id: str) -> bytes:
    try:
        return kek_store().unwrap(WrappedKey(row_kek_id, wrapped), user_id)
    except UnknownKek:
        # Another process rotated the KEK since this one loaded the store: reload once.
        install_store(load_store())
        return kek_store().unwrap(WrappedKey(row_kek_id, wrapped), user_id)


def data_key(user_id: str) -> bytes | None:
    """The citizen's unwrapped data key, or None if they have never stored anything (or were erased)."""
    row = db.session.execute(select(DataKey.kek_id, DataKey.wrapped_key).where(DataKey.user_id == user_id)).first()
    return None if row is None else unwrap(row.kek_id, row.wrapped_key, user_id)


def ensure_data_key(user_id: str) -> bytes:
    """The citizen's data key, created on their first write."""
    existing = data_key(user_id)
    if existing is not None:
        return existing
    key = new_data_key()
    # Reloaded so that a KEK rotated by `logbook vault rotate-kek` since this worker started is the one
    # used: a first write is rare, and a data key wrapped under a retiring KEK would block its retirement.
    store = load_store()
    install_store(store)
    wrapped = store.wrap(key, user_id)
    try:
        db.session.add(DataKey(user_id=user_id, kek_id=wrapped.kek_id, wrapped_key=wrapped.wrapped))
        db.session.flush()
    except exc.IntegrityError:
        # Two first writes raced: the other one's key won.
        db.session.rollback()
        return data_key(user_id) or key
    return key


def required_data_key(user_id: str) -> bytes:
    key = data_key(user_id)
    if key is None:
        raise DataKeyMissing("This vault's key has been destroyed; its records cannot be read")
    return key


def rotate(new_kek: bool = True, batch_size: int = 200, progress: Callable[[int], None] | None = None) -> int:
    """Re-wrap every data key under the current KEK (after making a new one unless resuming).

    Records are never touched. Each batch commits with its rows' new ``kek_id``, so an interrupted
    rotation resumes where it stopped (``new_kek=False``). Returns how many keys were re-wrapped.
    """
    store = kek_store()
    if new_kek:
        store.add_new()
    done = 0
    while batch := _next_batch(store.current_id, batch_size):
        for user_id, kek_id, wrapped in batch:
            _rewrap_row(store, user_id, kek_id, wrapped)
        db.session.commit()
        done += len(batch)
        if progress:
            progress(done)
    return done


def _next_batch(current_id: str, batch_size: int) -> list[tuple[str, str, bytes]]:
    rows = db.session.execute(
        select(DataKey.user_id, DataKey.kek_id, DataKey.wrapped_key)
        .where(DataKey.kek_id != current_id)
        .limit(batch_size)
    )
    return [(row.user_id, row.kek_id, row.wrapped_key) for row in rows]


def _rewrap_row(store: KekStore, user_id: str, kek_id: str, wrapped: bytes) -> None:
    fresh = store.rewrap(WrappedKey(kek_id, wrapped), user_id)
    # Guarded by the old kek_id: a row re-wrapped by a concurrent run is left as it is.
    db.session.execute(
        update(DataKey)
        .where(DataKey.user_id == user_id, DataKey.kek_id == kek_id)
        .values(kek_id=fresh.kek_id, wrapped_key=fresh.wrapped, rewrapped_at=utcnow())
    )


def keys_per_kek() -> dict[str, int]:
    rows = db.session.execute(select(DataKey.kek_id, func.count()).group_by(DataKey.kek_id))
    return {kek_id: count for kek_id, count in rows}


def retire(kek_id: str) -> None:
    """Delete a KEK, refusing while any data key is still wrapped under it."""
    still_using = keys_per_kek().get(kek_id, 0)
    if still_using:
        raise Conflict(f"{still_using} data keys are still wrapped under {kek_id}; run rotate-kek --resume first")
    kek_store().remove(kek_id)
