"""Structured logs and request ids: one JSON object per line, one access-log line per request.

Every request gets an id: a sane inbound ``X-Request-ID`` (from the load balancer) is kept, anything else
is replaced by a fresh one; the id is echoed in the response and added to every log line written while
the request runs. The access line holds the path WITHOUT its query string: authorization codes, states
and tokens travel in query strings and must never reach a log file.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_app_context, has_request_context, request

from idp import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators (UUIDs, AWS/GCP trace ids); anything else could forge log lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
access_log = logging.getLogger("logbook.access")
# Route variables that carry secrets (email-verification and password-reset links): never logged.
SECRET_ROUTE_ARGUMENTS = frozenset({"token", "code", "secret"})

# Attributes every LogRecord has; anything else on a record came through ``extra=`` and is logged as a field.
_STANDARD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_encode = json.JSONEncoder(default=str, separators=(",", ":")).encode  # one line costs ~25 µs: keep it lean


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        for key in fields.keys() - _STANDARD_ATTRIBUTES:
            if not key.startswith("_"):
                document[key] = fields[key]
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return _encode(document)


class RequestIdFilter(logging.Filter):
    """Stamps the current request's id on every record (logs from services carry it too). The token
    endpoints' fast path (``idp.oauth2.fast_path``) serves in an app context only, with the id on ``g``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            if has_request_context():
                record.request_id = g.get("request_id")
            elif has_app_context() and "request_id" in g:
                record.request_id = g.request_id
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send the root logger's records to stderr as JSON lines. Idempotent: apps built again (tests,
    gunicorn workers) reuse the one handler."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(getattr(handler, "_logbook", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler._logbook = True  # type: ignore[attr-defined]
    root.addHandler(handler)


def request_id_from(inbound: str | None) -> str:
    """Keep a sane inbound id so one request can be followed across the proxy and the app."""
    if inbound and SANE_REQUEST_ID.fullmatch(inbound):
        return inbound
    return secrets.token_hex(16)


def init_observability(app: Flask) -> None:
    """Logging, request ids, the access log and request metrics for one app."""
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    # First of the app-wide hooks, so that the id and the clock exist even when a later hook aborts.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    log_access, record_metrics = bool(app.config.get("ACCESS_LOG", True)), bool(app.config.get("METRICS_ENABLED"))
    app.after_request(_finish_request_hook(log_access, record_metrics))


def _start_request() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _finish_request_hook(log_access: bool, record_metrics: bool) -> Any:
    def finish_request(response: Response) -> Response:
        if "request_id" not in g:  # a hook before ours failed: still give the response an id
            _start_request()
        response.headers[REQUEST_ID_HEADER] = g.request_id
        seconds = time.perf_counter() - g.request_started
        endpoint = request.endpoint or "unmatched"
        # never request.full_path: query strings carry codes
        finished = Finished(request.method, loggable_path(), endpoint, response.status_code, seconds, g.request_id)
        record_request(finished, log_access, record_metrics)
        return response

    return finish_request


@dataclass(frozen=True)
class Finished:
    """One answered request, as the access line and the request metrics describe it."""

    method: str
    path: str  # without the query string, secret route variables redacted
    endpoint: str
    status: int
    seconds: float
    request_id: str


def record_request(finished: Finished, log_access: bool, record_metrics: bool) -> None:
    """The request metrics and the JSON access line, for Flask's requests and for the fast path's."""
    if record_metrics:
        metrics.observe_request(finished.endpoint, finished.method, finished.status, finished.seconds)
    if log_access:
        access_log.info(
            "request",
            extra={
                "method": finished.method,
                "path": finished.path,
                "endpoint": finished.endpoint,
                "status": finished.status,
                "duration_ms": round(finished.seconds * 1000, 2),
                "request_id": finished.request_id,
            },
        )


def loggable_path() -> str:
    """The path without its query string, and with secret route variables (``/reset-password/<token>``)
    replaced by ``[redacted]``."""
    path = request.path
    arguments = request.view_args or {}
    for name in SECRET_ROUTE_ARGUMENTS & arguments.keys():
        path = path.replace(str(arguments[name]), "[redacted]")
    return path
