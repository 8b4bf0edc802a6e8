"""An app built with operations settings changed (metrics on, a scrape token ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from idp.app import create_app
from idp.extensions import db
from tests.conftest import make_test_config


@pytest.fixture
def make_app(database_url: str, keys_dir: Path, outbox: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app with config overrides, e.g. ``make_app(METRICS_ENABLED=True)``."""
    contexts = []

    def build(**overrides: object) -> Flask:
        app = create_app(make_test_config(database_url, keys_dir, outbox, **overrides))
        context = app.app_context()
        context.push()
        contexts.append(context)
        db.create_all()
        return app

    yield build
    for context in reversed(contexts):
        db.session.remove()
        context.pop()
