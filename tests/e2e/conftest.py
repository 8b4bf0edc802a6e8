"""End-to-end fixtures: the real server (gunicorn) on a free port, and a real browser (Debian's Chromium
driven by Playwright) with an accessibility check (axe-core).

    @pytest.mark.live_server
    def test_discovery(live_server): requests.get(live_server.url + "/.well-known/openid-configuration")

    @pytest.mark.browser
    def test_sign_in(live_server, page):
        with live_server.app_context(): create_user()        # seed through the same database
        page.goto(live_server.url + "/sign-in"); assert_accessible(page)

Each test module gets its own server, SQLite file, keys and outbox folder; tests in a module share them,
so give seeded accounts unique addresses.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from idp.app import create_app
from idp.config import PROJECT_ROOT
from idp.extensions import db
from tests.conftest import make_test_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
STARTUP_SECONDS = 30


@dataclass
class LiveServer:
    """A running server: its base ``url``, its ``outbox`` folder, and ``app`` on the same database."""

    url: str
    outbox: Path
    app: Flask
    process: subprocess.Popen[bytes]
    log: Path

    @contextmanager
    def app_context(self) -> Iterator[Flask]:
        """Seed or inspect the server's database (builders work inside)."""
        with self.app.app_context():
            yield self.app
            db.session.remove()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(folder: Path, port: int, keys_dir: Path) -> dict[str, str]:
    """The server reads its settings from the environment, as in a deployment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LOGBOOK_", "TEST_"))}
    env.update(
        {
            "LOGBOOK_ENV": "development",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{folder / 'logbook.sqlite'}",
            "REDIS_URL": "",
            "LOGBOOK_ISSUER": f"http://127.0.0.1:{port}",
            "LOGBOOK_KEYS_DIR": str(keys_dir),
            "LOGBOOK_MAIL_BACKEND": "file",
            "LOGBOOK_OUTBOX_DIR": str(folder / "outbox"),
            # Cheap hashes keep browser tests quick; the production cost has its own test.
            "LOGBOOK_ARGON2_TIME_COST": "1",
            "LOGBOOK_ARGON2_MEMORY_KIB": "1024",
            "LOGBOOK_ARGON2_PARALLELISM": "1",
        }
    )
    return env


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS}s:\n{log.read_text()[-4000:]}")


def seeding_app(env: dict[str, str], folder: Path, keys_dir: Path) -> Flask:
    """An app in this process on the server's database: creates the tables and seeds data."""
    # The same SECRET_KEY as the server: client-secret digests and pairwise subjects are keyed by it.
    config = make_test_config(
        env["DATABASE_URL"], keys_dir, folder / "outbox", ISSUER=env["LOGBOOK_ISSUER"], SECRET_KEY=env["SECRET_KEY"]
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


@contextmanager
def serving(env: dict[str, str], folder: Path, port: int, app: Flask) -> Iterator[LiveServer]:
    """gunicorn on ``port`` with ``env`` until the block ends (several may share one database)."""
    log = folder / f"server-{port}.log"
    bind = f"127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", bind, "idp.app:create_app()"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", Path(env["LOGBOOK_OUTBOX_DIR"]), app, process, log)
    try:
        wait_until_ready(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    port = free_port()
    env = server_environment(folder, port, keys_dir)
    with serving(env, folder, port, seeding_app(env, folder, keys_dir)) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is missing: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page per test; CSP stays on. When the test fails, the
    page's address and text go into the report: a browser failure in CI is otherwise hard to read."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)  # generous: CI machines are sometimes loaded
    yield page
    if request.node.stash.get(CALL_FAILED, False):
        _describe_page_for_the_report(page)
    context.close()


def _describe_page_for_the_report(page: Any) -> None:
    try:
        text = page.inner_text("body", timeout=2_000)
    except Exception as error:  # noqa: BLE001 - a page that cannot be read is itself worth reporting
        text = f"(could not read the page: {error})"
    print(f"\n--- the browser's page when the test failed: {page.url}\n{text[:3000]}\n---")


def assert_accessible(page: Any) -> None:
    """Run axe-core (WCAG 2.2 A/AA rules) on the page; fail on serious or critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools, not as a page script, so the page's CSP does not block it.
        page.evaluate(AXE_SCRIPT.read_text())
    results = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    details = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in serious]
    assert not serious, f"accessibility violations on {page.url}:\n" + "\n".join(details)
