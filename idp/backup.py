"""``logbook backup`` and ``logbook restore``: the database (with the vault's wrapped data keys) and the
PUBLIC halves of the signing keys, in one tar file. Never the vault KEK and never a private signing key.

Why that split:
- Vault data keys are stored wrapped by the KEK in ``vault_data_keys``: they travel with the database, and
  without the KEK (kept and backed up apart, see docs/operations.md) a stolen backup opens no vault record.
- A private signing key in a backup would let whoever holds the file mint tokens for every relying
  party. Losing signing keys costs little: a fresh key is generated on start and relying parties fetch
  the JWKS again. The public halves are kept so that tokens signed just before a disaster still verify:
  restore puts them back as ``retiring`` keys (verify only), and ``logbook keys retire`` drops them later.

SQLite is copied with SQLite's online backup API (consistent while the app writes). PostgreSQL is dumped
with ``pg_dump --format=custom`` and restored with ``pg_restore``: exact (schema, sequences,
``alembic_version``) and consistent (one snapshot); they must be on PATH (Debian: postgresql-client, of the
server's major version or newer).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

FORMAT = "logbook-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
SIGNING_PREFIX = "signing-public/"
NOT_DATA = {"alembic_version"}


class BackupError(RuntimeError):
    """A backup or restore cannot go ahead; the message says why and what to do."""


class DatabaseNotEmpty(BackupError):
    """Restore would overwrite data: the operator must say ``--force``."""


@dataclass
class Manifest:
    dialect: str
    database_member: str
    created_at: int = field(default_factory=lambda: int(time.time()))
    alembic_revision: str | None = None
    row_counts: dict[str, int] = field(default_factory=dict)
    kek_ids: list[str] = field(default_factory=list)
    signing_kids: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **self.__dict__}, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        document = json.loads(raw)
        if document.pop("format", None) != FORMAT or document.pop("version", None) != FORMAT_VERSION:
            raise BackupError("not a Logbook backup (or one from a newer version)")
        return cls(**document)


# -- facts about a database ---------------------------------------------------------------------------
def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table, every table the database holds (not only the ones this code knows)."""
    names = [name for name in inspect(engine).get_table_names() if name not in NOT_DATA]
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _alembic_revision(engine: Engine) -> str | None:
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _kek_ids(engine: Engine) -> list[str]:
    """The KEKs a restore will need to open the vault (the KEKs themselves are never in the backup)."""
    if "vault_data_keys" not in inspect(engine).get_table_names():
        return []
    with engine.connect() as connection:
        return sorted(connection.execute(text("SELECT DISTINCT kek_id FROM vault_data_keys")).scalars())


# -- backup -------------------------------------------------------------------------------------------
def backup(engine: Engine, keys_dir: Path, destination: Path) -> Manifest:
    """Write a backup of the database and the public signing keys to ``destination`` (mode 0600)."""
    dialect = engine.dialect.name
    member = {"sqlite": SQLITE_MEMBER, "postgresql": PG_MEMBER}.get(dialect)
    if member is None:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {dialect}")
    public_keys = _public_signing_keys(keys_dir)
    manifest = Manifest(dialect, member, alembic_revision=_alembic_revision(engine), kek_ids=_kek_ids(engine))
    manifest.signing_kids = sorted(public_keys)
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / member
        _dump_sqlite(engine, dump) if dialect == "sqlite" else _dump_postgresql(engine, dump)
        manifest.row_counts = _row_counts_of_dump(engine, dump)
        _write_archive(destination, manifest, dump, public_keys)
    return manifest


def _row_counts_of_dump(engine: Engine, dump: Path) -> dict[str, int]:
    if engine.dialect.name == "sqlite":  # count what was copied, not what the live database holds now
        from sqlalchemy import create_engine

        copy = create_engine(f"sqlite:///{dump}")
        try:
            return row_counts(copy)
        finally:
            copy.dispose()
    return row_counts(engine)


def _dump_sqlite(engine: Engine, dump: Path) -> None:
    source = sqlite3.connect(_sqlite_path(engine))
    target = sqlite3.connect(dump)
    try:
        source.backup(target)  # one step: a consistent copy even while workers write
    finally:
        target.close()
        source.close()


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up; set DATABASE_URL to a file")
    return database


def _dump_postgresql(engine: Engine, dump: Path) -> None:
    _run_pg_tool("pg_dump", engine, ["--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"])


def _run_pg_tool(tool: str, engine: Engine, arguments: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not on PATH: install postgresql-client (the server's major version or newer)")
    # Connection settings go through libpq's environment, so the password never shows in `ps`.
    url = engine.url
    env = {
        **os.environ,
        "PGHOST": url.host or "localhost",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }
    completed = subprocess.run([executable, *arguments], env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BackupError(f"{tool} failed: {completed.stderr.strip()}")


def _public_signing_keys(keys_dir: Path) -> dict[str, dict[str, Any]]:
    from idp.keyring import Keyring

    if not (Path(keys_dir) / "signing").is_dir():
        return {}
    return {key.kid: key.public_jwk() for key in Keyring(keys_dir).reload().keys}


def _write_archive(destination: Path, manifest: Manifest, dump: Path, public_keys: dict[str, dict[str, Any]]) -> None:
    destination = Path(destination)
    temporary = destination.with_name(destination.name + ".partial")
    # Personal data (emails, phone numbers, password hashes): readable by the owner only, from the start.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as archive:
        _add_bytes(archive, MANIFEST, manifest.to_json())
        archive.add(dump, arcname=manifest.database_member)
        for kid, jwk in public_keys.items():
            _add_bytes(archive, f"{SIGNING_PREFIX}{kid}.json", json.dumps(jwk).encode())
    os.replace(temporary, destination)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(data))


# -- restore ------------------------------------------------------------------------------------------
def read_manifest(source: Path) -> Manifest:
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise BackupError("the backup has no manifest")
            return Manifest.from_json(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError, TypeError) as error:
        raise BackupError(f"cannot read backup {source}: {error}") from error


def restore(engine: Engine, keys_dir: Path, source: Path, force: bool = False) -> Manifest:
    """Replace the database with the backup's and put back the public signing keys (as retiring).
    Refuses a database that holds any row unless ``force``."""
    manifest = read_manifest(source)
    if manifest.dialect != engine.dialect.name:
        raise BackupError(f"this backup is of a {manifest.dialect} database; DATABASE_URL names {engine.dialect.name}")
    occupied = {name: count for name, count in row_counts(engine).items() if count}
    if occupied and not force:
        raise DatabaseNotEmpty(f"the database is not empty ({sum(occupied.values())} rows); use --force to replace it")
    engine.dispose()  # no pooled connection may hold locks on the tables being replaced
    with tempfile.TemporaryDirectory() as work, tarfile.open(source, mode="r:gz") as archive:
        archive.extractall(work, filter="data")
        dump = Path(work) / manifest.database_member
        _load_sqlite(engine, dump) if manifest.dialect == "sqlite" else _load_postgresql(engine, dump)
        _restore_public_keys(Path(work) / SIGNING_PREFIX, keys_dir, manifest.created_at)
    engine.dispose()
    return manifest


def _load_sqlite(engine: Engine, dump: Path) -> None:
    source = sqlite3.connect(dump)
    target = sqlite3.connect(_sqlite_path(engine))
    try:
        source.backup(target)  # replaces every page of the target, schema included
    finally:
        target.close()
        source.close()


def _load_postgresql(engine: Engine, dump: Path) -> None:
    arguments = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run_pg_tool("pg_restore", engine, [*arguments, "--exit-on-error", f"--dbname={engine.url.database}", str(dump)])


def _restore_public_keys(folder: Path, keys_dir: Path, retiring_since: int) -> list[str]:
    """Public keys come back verify-only; a key already present (private half and all) is left alone."""
    signing = Path(keys_dir) / "signing"
    signing.mkdir(parents=True, exist_ok=True, mode=0o700)
    restored = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        jwk = json.loads(path.read_text())
        target = signing / f"{jwk['kid']}.json"
        if target.exists():
            continue
        document = {"status": "retiring", "created_at": retiring_since, "retiring_since": retiring_since, "jwk": jwk}
        target.write_text(json.dumps(document))
        restored.append(jwk["kid"])
    return restored


def missing_keks(manifest: Manifest, keys_dir: Path, configured_kek: str | None) -> list[str]:
    """KEK ids the restored vault needs that this deployment does not hold (from configuration, or in
    ``<KEYS_DIR>/vault-kek/``)."""
    from vault.crypto import KEK_DIR_NAME, VaultCryptoError, load_configured_store

    if configured_kek:
        try:
            held = set(load_configured_store(configured_kek).ids)
        except VaultCryptoError:
            held = set()
    else:
        held = {path.stem for path in (Path(keys_dir) / KEK_DIR_NAME).glob("*.key")}
    return [kek_id for kek_id in manifest.kek_ids if kek_id not in held]


def sqlalchemy_url_for_humans(engine: Engine) -> str:
    return make_url(str(engine.url)).render_as_string(hide_password=True)
