"""Second factors in a real browser: passkeys.js against Chromium's virtual WebAuthn authenticator, the
GP practice example's RFC 9470 step-up round trip with an authenticator-app code, and the pages checked
with axe-core.

WebAuthn refuses IP addresses as relying-party ids, so this server's issuer (and the browser) use
``localhost`` rather than the shared fixture's 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from sqlalchemy import select

from clients.examples.demo import EXAMPLES, register_example
from idp.accounts.models import User
from idp.authn import passkeys
from idp.config import PROJECT_ROOT
from idp.extensions import db
from tests.authn.helpers import enrol_totp
from tests.builders import DEFAULT_PASSWORD, create_user
from tests.e2e.conftest import (
    LiveServer,
    assert_accessible,
    free_port,
    seeding_app,
    server_environment,
    wait_until_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.live_server]


@pytest.fixture(scope="module")
def localhost_server(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live-authn")
    port = free_port()
    env = server_environment(folder, port, keys_dir)
    env["LOGBOOK_ISSUER"] = f"http://localhost:{port}"
    app = seeding_app(env, folder, keys_dir)
    log = folder / "server.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
        "idp.app:create_app()",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://localhost:{port}", folder / "outbox", app, process, log)
    try:
        wait_until_ready(server.url, process, log)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def gp_practice(localhost_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The GP practice example (clients/examples/gp_practice.py) registered with the server and running."""
    example = dataclasses.replace(next(e for e in EXAMPLES if e.slug == "gp"), port=free_port())
    with localhost_server.app_context():
        client_id, secret = register_example(example)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LOGBOOK_", "TEST_"))}
    env.update({"LOGBOOK_ISSUER": localhost_server.url, "GP_CLIENT_ID": client_id, "GP_CLIENT_SECRET": secret})
    env["GP_PORT"] = str(example.port)
    url = f"http://127.0.0.1:{example.port}"
    log = tmp_path_factory.mktemp("gp") / "gp.log"
    with log.open("wb") as output:
        command = [sys.executable, "-m", "clients.examples.gp_practice"]
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=output, stderr=output)
    try:
        _wait_for_example(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_example(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the GP example exited:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the GP example did not start:\n{log.read_text()[-3000:]}")


def virtual_authenticator(page: Any) -> None:
    """A platform authenticator that verifies the user (as a fingerprint would) without a prompt."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def password_sign_in(page: Any, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/sign-in")
    page.fill("#contact", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_passkey_made_in_the_browser_completes_a_later_sign_in(localhost_server: LiveServer, page: Any) -> None:
    with localhost_server.app_context():
        create_user(email="passkey.browser@example.org")
    virtual_authenticator(page)
    password_sign_in(page, localhost_server, "passkey.browser@example.org")
    page.goto(localhost_server.url + "/account/security/passkeys/new")
    assert_accessible(page)
    page.fill("#name", "Test laptop")
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url("**/account/security/recovery-codes")
    with localhost_server.app_context():
        user = db.session.scalars(select(User).where(User.email == "passkey.browser@example.org")).one()
        assert [key.name for key in passkeys.passkeys_of(user)] == ["Test laptop"]

    page.context.clear_cookies()
    password_sign_in(page, localhost_server, "passkey.browser@example.org")
    page.wait_for_url("**/sign-in/second-factor")
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url("**/account")
    assert page.get_by_role("heading", name="Your account").is_visible()


def test_the_authenticator_app_pages_are_accessible(localhost_server: LiveServer, page: Any) -> None:
    with localhost_server.app_context():
        create_user(email="app.browser@example.org")
    password_sign_in(page, localhost_server, "app.browser@example.org")
    page.goto(localhost_server.url + "/account/security")
    assert_accessible(page)
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.locator("img[alt^='QR code']").wait_for()  # a click waits for the navigation to start, not to finish
    assert_accessible(page)
    page.get_by_role("button", name="Confirm and turn on").click()
    page.get_by_role("link", name="Enter the 6-digit code from your authenticator app").wait_for()
    assert_accessible(page)


def test_a_gp_refused_by_the_vault_sends_the_citizen_to_step_up_and_then_reads_health(
    localhost_server: LiveServer, gp_practice: str, page: Any
) -> None:
    """Issue 5: "a GP practice's example client reads the health module, gets the step-up challenge, sends
    the citizen back with acr_values, the citizen enters a TOTP code, the read succeeds"."""
    email = "gp.step-up@example.org"
    with localhost_server.app_context():
        from vault import services as vault
        from vault.services import Provenance

        user = create_user(email=email)
        vault.create_record(user.id, "health", {"kind": "gp_registration", "practice_name": "Weir Street Surgery"},
                            Provenance.citizen())  # fmt: skip
    password_sign_in(page, localhost_server, email)  # today's sign-in: the password only
    page.wait_for_url("**/account")
    with localhost_server.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        secret = enrol_totp(user)  # the citizen's phone holds an authenticator app

    authorize_requests: list[dict[str, list[str]]] = []
    page.on(
        "request",
        lambda request: (
            authorize_requests.append(parse_qs(urlsplit(request.url).query))
            if urlsplit(request.url).path == "/authorize"
            else None
        ),
    )
    page.goto(gp_practice)
    page.get_by_role("button", name="Sign in with Logbook").click()
    page.get_by_role("button", name="Allow", exact=True).click()
    # The vault refused the password-only token with RFC 9470's challenge; the surgery sent the citizen back.
    # Five hops across two servers on a busy 2-core machine: give the chain more than one page's time.
    page.get_by_role("heading", name="Confirm it is you").wait_for(timeout=30_000)
    assert_accessible(page)
    assert authorize_requests[-1]["acr_values"] == ["urn:logbook:acr:two-factor"]
    assert authorize_requests[-1]["max_age"] == ["900"]
    assert "acr_values" not in authorize_requests[0]

    page.get_by_label("Enter the 6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your health information").wait_for()
    assert page.url.startswith(gp_practice)
    assert "Weir Street Surgery" in page.inner_text("main")
