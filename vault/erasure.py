"""Erasure by crypto-shredding, and account deletion: the citizen's data key goes first, then their
records, then the account itself."""

from __future__ import annotations

import logging
import time

from sqlalchemy import delete, select

from idp.accounts import passwords, sessions
from idp.accounts.models import User
from idp.errors import DomainError
from idp.extensions import db
from idp.oauth2.models import TokenFamily
from idp.oauth2.tokens import revoke_families
from vault import held_forms
from vault.models import DataKey, Record, RecordVersion

log = logging.getLogger(__name__)
FLUSH_ATTEMPTS = 50
FLUSH_PAUSE_SECONDS = 0.02


class WrongPassword(DomainError):
    code = "wrong_password"


def erase_vault(user_id: str) -> None:
    """Crypto-shred: destroy the wrapped data key first (committed on its own), then the records.

    Once the key row is gone, nothing in this database can open the records, even with the KEK; on
    SQLite, ``secure_delete`` (set on every connection, idp.database) overwrites the freed space so the
    wrapped key's bytes do not linger in the file. A database backup taken before the erasure still holds
    the wrapped key: backups must expire.
    """
    db.session.execute(delete(DataKey).where(DataKey.user_id == user_id))
    db.session.commit()
    record_ids = select(Record.id).where(Record.user_id == user_id)
    db.session.execute(delete(RecordVersion).where(RecordVersion.record_id.in_(record_ids)))
    db.session.execute(delete(Record).where(Record.user_id == user_id))
    held_forms.erase(user_id)
    db.session.commit()
    _flush_sqlite_journal()


def _flush_sqlite_journal() -> None:
    """In WAL mode the zeroed pages sit in the -wal file while the main file (and the WAL's own earlier
    frames) still hold the old ones until a checkpoint: checkpoint now and empty the WAL, so the shredded
    key is gone from every file on disk, not merely superseded."""
    if db.engine.dialect.name != "sqlite":
        return
    # SQLite lets one checkpoint run at a time and answers a second with "busy" at once, without waiting:
    # the process's background checkpointer (idp.sqlite_checkpoints) may hold it for a moment, so try again.
    for _ in range(FLUSH_ATTEMPTS):
        with db.engine.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        if not busy:
            return
        time.sleep(FLUSH_PAUSE_SECONDS)
    log.warning("erasure: the WAL could not be emptied now; the next checkpoint overwrites the shredded pages")


def delete_account(user: User, password: str) -> None:
    """Re-authenticate with the password, then destroy the vault (key first) and the account."""
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword("Your password is not right. Check it and try again")
    user_id = user.id
    erase_vault(user_id)
    # Every token issued for this citizen stops working now, on every database (SQLite does not
    # cascade the account's deletion to token rows).
    revoke_families(TokenFamily.__table__.c.user_id == user_id)
    sessions.end_all_sessions(user)
    db.session.delete(user)
    db.session.commit()
    log.info("account %s deleted by its owner; vault data key destroyed", user_id)
