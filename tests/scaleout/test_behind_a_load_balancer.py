"""Behind a load balancer every request comes from the balancer's address: with ``LOGBOOK_PROXY_HOPS``
the per-address sign-in limit counts each citizen's own address (X-Forwarded-For), so one person's
failures cannot lock out everyone behind the same balancer; without it the header is ignored, as anyone
could send it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp.app import create_app
from idp.extensions import db
from tests.builders import create_user
from tests.conftest import make_test_config
from tests.web_helpers import post_form

BALANCER = "10.0.0.5"
PER_ADDRESS = "2 per hour"


def failed_sign_in(client: FlaskClient, forwarded_for: str) -> int:
    data = {"contact": "citizen@example.org", "password": "not the password"}
    kwargs = {"headers": {"X-Forwarded-For": forwarded_for}, "environ_base": {"REMOTE_ADDR": BALANCER}}
    return post_form(client, "/sign-in", data, **kwargs).status_code


@pytest.fixture
def proxied(app: Flask, database_url: str, keys_dir: Path, outbox: Path) -> Iterator[Flask]:
    """The app as deployed behind one load balancer (on the test database)."""
    config = make_test_config(database_url, keys_dir, outbox, PROXY_HOPS=1, SIGN_IN_LIMIT_PER_ADDRESS=PER_ADDRESS)
    behind = create_app(config)
    with behind.app_context():
        yield behind
        db.session.remove()


def test_behind_a_balancer_each_citizen_address_has_its_own_sign_in_limit(proxied: Flask) -> None:
    create_user()
    client = proxied.test_client()
    assert [failed_sign_in(client, "203.0.113.1") for _ in range(2)] == [400, 400]
    assert failed_sign_in(client, "203.0.113.1") == 429
    assert failed_sign_in(client, "203.0.113.2") == 400


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = PER_ADDRESS
    create_user()
    assert [failed_sign_in(client, "203.0.113.1") for _ in range(2)] == [400, 400]
    assert failed_sign_in(client, "203.0.113.2") == 429
