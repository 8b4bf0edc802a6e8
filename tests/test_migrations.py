"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from idp.app import MIGRATIONS_DIR, create_app
from idp.extensions import db
from tests.conftest import make_test_config


@pytest.fixture
def empty_app(database_url: str, keys_dir: Path, outbox: Path) -> Flask:
    """An app whose database has no tables at all (the shared test database is emptied first)."""
    app = create_app(make_test_config(database_url, keys_dir, outbox))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return app


def test_upgrade_from_empty_matches_the_models(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    assert differences == []


def test_downgrade_to_base_removes_every_table(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        downgrade(directory=str(MIGRATIONS_DIR), revision="base")
        engine = create_engine(str(db.engine.url))
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
        engine.dispose()
    assert remaining == set()
