"""``logbook demo seed`` (``make demo``): a citizen and a council staff member a newcomer can sign in as, and
never in any database but the demo's.

Issue 6: "`make demo` starts Logbook and all four with seeded demo data so a newcomer can click through the
whole story"; the officer console is part of that story, and staff pages demand a second factor.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from clients.examples.demo_accounts import STAFF_EMAIL, STAFF_PASSWORD
from idp.accounts.models import User
from idp.extensions import db
from tests.authn.helpers import code_at, post_code
from tests.web_helpers import sign_in

STAFF_PAGES = ("/officers", "/admin", "/audit-trail", "/staff")


def _seed(app: Flask, tmp_path: Path) -> Result:
    return app.test_cli_runner().invoke(args=["demo", "seed", "--clients-file", str(tmp_path / "clients.json")])


@pytest.fixture
def demo_database(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's database is named as the demo's, as `make demo` names instance/demo.sqlite."""
    monkeypatch.setenv("DEMO_DATABASE_URL", str(app.config["SQLALCHEMY_DATABASE_URI"]))


def _printed_staff(output: str) -> tuple[str, str, str]:
    match = re.search(r'Council staff: (\S+) / password "([^"]+)"\s+authenticator app secret[^:]*: (\w+)', output)
    assert match, output
    return match.group(1), match.group(2), match.group(3)


def _accounts() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_the_seed_prints_a_staff_member_with_password_and_authenticator_secret(
    app: Flask, tmp_path: Path, demo_database: None
) -> None:
    result = _seed(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert _printed_staff(result.output)[:2] == (STAFF_EMAIL, STAFF_PASSWORD)


def test_the_seeded_staff_member_opens_every_staff_page_after_password_and_code(
    app: Flask, client: FlaskClient, tmp_path: Path, demo_database: None
) -> None:
    """Officer, client administrator, auditor and role administrator: the whole console to try."""
    email, password, secret = _printed_staff(_seed(app, tmp_path).output)
    assert sign_in(client, email, password).headers["Location"] == "/sign-in/second-factor"
    assert post_code(client, "/sign-in/second-factor", code_at(secret)).status_code == 302
    assert {page: client.get(page).status_code for page in STAFF_PAGES} == dict.fromkeys(STAFF_PAGES, 200)


def test_the_seeded_staff_member_needs_the_code_not_just_the_password(
    app: Flask, client: FlaskClient, tmp_path: Path, demo_database: None
) -> None:
    _seed(app, tmp_path)
    sign_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    response = client.get("/officers")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_seeding_again_keeps_the_same_people_and_secrets(app: Flask, tmp_path: Path, demo_database: None) -> None:
    first = _printed_staff(_seed(app, tmp_path).output)
    count = _accounts()
    assert _printed_staff(_seed(app, tmp_path).output) == first
    assert _accounts() == count


def test_the_seed_refuses_a_database_that_is_not_the_demos(app: Flask, tmp_path: Path) -> None:
    """Published demo passwords must never reach a real deployment's database."""
    result = _seed(app, tmp_path)
    assert result.exit_code != 0
    assert "only the demo database" in result.output
    assert _accounts() == 0


def test_the_seed_refuses_a_production_configuration(app: Flask, tmp_path: Path, demo_database: None) -> None:
    app.config["ENV_NAME"] = "production"
    result = _seed(app, tmp_path)
    assert result.exit_code != 0
    assert "never seeded in production" in result.output
    assert _accounts() == 0
