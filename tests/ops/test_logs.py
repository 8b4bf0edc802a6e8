"""Structured JSON logs with request ids, one access line per request, never a query string."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

LogLines = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def log_lines(app: Flask) -> Iterator[LogLines]:
    """What the app's own log handler writes (as parsed JSON lines), read from the real handler."""
    [handler] = [handler for handler in logging.getLogger().handlers if getattr(handler, "_logbook", False)]
    buffer = io.StringIO()
    original = handler.setStream(buffer)  # type: ignore[attr-defined]

    def read(logger: str = "logbook.access") -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
        return [line for line in lines if line["logger"] == logger]

    yield read
    handler.setStream(original)  # type: ignore[attr-defined]


def test_a_sane_inbound_request_id_is_kept_and_echoed(client: FlaskClient) -> None:
    """Accept a sane inbound X-Request-ID, echo it in the response."""
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c:01"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c:01"


def test_a_request_without_an_id_gets_a_fresh_one(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.parametrize("inbound", ["bad id with spaces", "x" * 200, "line\\nbreak", '"}{"level":"ERROR'])
def test_an_unsafe_inbound_request_id_is_replaced(client: FlaskClient, inbound: str) -> None:
    """An inbound id that could forge or bloat log lines is not trusted."""
    response = client.get("/healthz", headers={"X-Request-ID": inbound})
    assert response.headers["X-Request-ID"] != inbound
    assert len(response.headers["X-Request-ID"]) == 32


def test_every_request_writes_one_access_line_with_method_path_status_duration_and_id(
    client: FlaskClient, log_lines: LogLines
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    [line] = log_lines()
    assert line["message"] == "request" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"], line["request_id"]) == ("GET", "/healthz", 200, "abc123")
    assert line["duration_ms"] >= 0
    assert response.status_code == 200


def test_query_strings_never_reach_the_access_log(client: FlaskClient, log_lines: LogLines) -> None:
    """Query strings carry authorization codes and states: log the path only."""
    client.get("/healthz?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj")
    [line] = log_lines()
    assert "SplxlOBeZQQYbYS6WxSbIA" not in json.dumps(line) and "af0ifjsldkj" not in json.dumps(line)
    assert line["path"] == "/healthz"


def test_unknown_paths_are_logged_with_their_status(client: FlaskClient, log_lines: LogLines) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    [line] = log_lines()
    assert response.status_code == line["status"] == 404
    assert response.headers["X-Request-ID"] == line["request_id"]


def test_log_lines_written_during_a_request_carry_its_id(app: Flask, log_lines: LogLines) -> None:
    """Lines that services log while a request runs carry its id too, so one request can be followed."""
    app.add_url_rule("/test-log-line", "main.test_log_line", lambda: logging.getLogger("idp.test").warning("hi") or "")
    app.test_client().get("/test-log-line", headers={"X-Request-ID": "trace-42"})
    [line] = log_lines("idp.test")
    assert (line["message"], line["level"], line["request_id"]) == ("hi", "WARNING", "trace-42")


def test_secrets_in_the_path_of_a_link_are_redacted(client: FlaskClient, log_lines: LogLines) -> None:
    """Email-verification and password-reset links carry their token in the path: it must not be logged."""
    client.get("/reset-password/Zk3q9L-secret-reset-token")
    [line] = log_lines()
    assert line["path"] == "/reset-password/[redacted]"
    assert "Zk3q9L-secret-reset-token" not in json.dumps(line)
