"""Helpers for tests that drive the pages through real HTTP with CSRF protection left on.

response = post_form(client, "/account/password", {"current_password": ..., ...})
sign_in(client, "citizen@example.org", DEFAULT_PASSWORD)
code = latest_code(outbox)
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from idp.mail import read_outbox
from tests.builders import DEFAULT_PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client: FlaskClient, page_url: str) -> str:
    """The CSRF token from the first form on ``page_url`` (the page must render a form)."""
    page = client.get(page_url)
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, f"no csrf_token input on {page_url} (status {page.status_code})"
    return match.group(1) or match.group(2)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], page_url: str | None = None, **kwargs: Any
) -> TestResponse:
    """GET ``page_url`` (default ``url``), read its CSRF token, POST ``data`` with it to ``url``."""
    token = csrf_token(client, page_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def sign_in(
    client: FlaskClient, email: str = "citizen@example.org", password: str = DEFAULT_PASSWORD, next_url: str = ""
) -> TestResponse:
    """Sign in through the sign-in page (email address or mobile number); returns the POST's response."""
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return post_form(client, url, {"contact": email, "password": password})


def messages(outbox: Path) -> list[EmailMessage]:
    return read_outbox(outbox) if outbox.exists() else []


def recipient(message: EmailMessage) -> str:
    """The ``To`` address; a text message's ``sms:+44...`` (which email parsing reads as a group) as sent."""
    return str(message["To"]).replace(" ", "").rstrip(";")


def latest_message(outbox: Path, to: str | None = None) -> EmailMessage:
    """The newest message in the outbox (to ``to`` when given; text messages are ``sms:+44...``)."""
    found = [message for message in messages(outbox) if to is None or recipient(message) == to]
    assert found, f"no message in the outbox{f' to {to}' if to else ''}"
    return found[-1]


def body(message: EmailMessage) -> str:
    return message.get_content()  # type: ignore[no-any-return]


def latest_code(outbox: Path, to: str | None = None) -> str:
    """The 6-digit code in the newest message."""
    match = re.search(r"\b(\d{6})\b", body(latest_message(outbox, to)))
    assert match, "no 6-digit code in the latest message"
    return match.group(1)


def latest_link(outbox: Path, to: str | None = None) -> str:
    """The local path of the first link in the newest message (e.g. ``/reset-password/<token>``)."""
    match = re.search(r"https?://[^/\s]+(/\S+)", body(latest_message(outbox, to)))
    assert match, "no link in the latest message"
    return match.group(1)
