"""Prometheus metrics: request counts and latencies, and counters that any area increments.

Calling a counter costs about a microsecond, whether or not ``/metrics`` is switched on, so areas call
them unconditionally::

    from idp import metrics
    metrics.count_token_issued("client_credentials")
    metrics.count_sign_in_failure("bad_password")

Label values must come from a small fixed set (grant types, reason codes), never from input: every
distinct value is a new time series. With several gunicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty folder before the server starts; each worker then writes its values there and ``/metrics`` adds
them up (see docs/operations.md).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# Token endpoints answer in about a millisecond; password sign-in takes a few hundred.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MAX_LABEL_LENGTH = 64

REQUESTS = Counter("logbook_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "logbook_http_request_duration_seconds",
    "Time from the first app hook to the response, by endpoint and status",
    ["endpoint", "status"],
    buckets=LATENCY_BUCKETS,
)
TOKENS_ISSUED = Counter("logbook_tokens_issued_total", "Access tokens issued, by grant type", ["grant_type"])
SIGN_IN_FAILURES = Counter("logbook_sign_in_failures_total", "Failed sign-in attempts, by reason", ["reason"])
TOKENS_REVOKED = Counter("logbook_tokens_revoked_total", "Tokens revoked, by reason", ["reason"])
INTROSPECTIONS = Counter("logbook_introspections_total", "Token introspections, by answer", ["active"])


def _label(value: str) -> str:
    return str(value)[:MAX_LABEL_LENGTH] or "unknown"


def count_token_issued(grant_type: str) -> None:
    """One access token issued (``authorization_code``, ``refresh_token``, ``client_credentials`` ...)."""
    TOKENS_ISSUED.labels(_label(grant_type)).inc()


def count_sign_in_failure(reason: str) -> None:
    """One failed sign-in (``bad_password``, ``unknown_account``, ``locked``, ``bad_second_factor`` ...)."""
    SIGN_IN_FAILURES.labels(_label(reason)).inc()


def count_token_revoked(reason: str) -> None:
    """Tokens revoked (``client_request``, ``refresh_reuse``, ``consent_revoked``, ``sign_out`` ...)."""
    TOKENS_REVOKED.labels(_label(reason)).inc()


def count_introspection(active: bool) -> None:
    INTROSPECTIONS.labels("true" if active else "false").inc()


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Called once per request by ``idp.observability``; endpoint names keep the label set small."""
    status_label = str(status)
    REQUESTS.labels(endpoint, method, status_label).inc()
    LATENCY.labels(endpoint, status_label).observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def exposition() -> tuple[bytes, str]:
    """The text exposition format: this process's registry, or every worker's when in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
