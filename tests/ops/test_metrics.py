"""Prometheus metrics at /metrics, behind configuration (off by default) and an optional bearer token."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from idp import metrics


def sample(client: FlaskClient, name: str, headers: dict[str, str] | None = None, **labels: str) -> float:
    """One sample's value as the scrape shows it (0 when absent)."""
    body = client.get("/metrics", headers=headers or {}).get_data(as_text=True)
    for family in text_string_to_metric_families(body):
        for found in family.samples:
            if found.name == name and all(found.labels.get(key) == value for key, value in labels.items()):
                return found.value
    return 0.0


def test_metrics_are_absent_by_default(client: FlaskClient) -> None:
    """/metrics is behind configuration: off by default."""
    assert client.get("/metrics").status_code == 404


def test_when_switched_on_the_scrape_counts_requests_by_endpoint_and_status(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_ENABLED=True).test_client()
    before = sample(client, "logbook_http_requests_total", endpoint="main.health", method="GET", status="200")
    client.get("/healthz")
    client.get("/healthz")
    after = sample(client, "logbook_http_requests_total", endpoint="main.health", method="GET", status="200")
    assert after - before == 2


def test_latency_is_a_histogram_by_endpoint_and_status(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_ENABLED=True).test_client()
    client.get("/healthz")
    count = sample(client, "logbook_http_request_duration_seconds_count", endpoint="main.health", status="200")
    slowest_bucket = sample(
        client, "logbook_http_request_duration_seconds_bucket", endpoint="main.health", status="200", le="+Inf"
    )
    assert count >= 1 and slowest_bucket == count


def test_unmatched_paths_share_one_label_so_scanners_cannot_explode_the_series(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_ENABLED=True).test_client()
    client.get("/wp-login.php", headers={"Accept": "application/json"})
    body = client.get("/metrics").get_data(as_text=True)
    assert "wp-login" not in body
    assert sample(client, "logbook_http_requests_total", endpoint="unmatched", status="404") >= 1


def test_token_issues_and_sign_in_failures_are_counted_by_their_label(make_app: Callable[..., Flask]) -> None:
    """Counters other areas increment: token issues by grant type, sign-in failures by reason."""
    client = make_app(METRICS_ENABLED=True).test_client()
    issued = sample(client, "logbook_tokens_issued_total", grant_type="client_credentials")
    failed = sample(client, "logbook_sign_in_failures_total", reason="bad_password")
    metrics.count_token_issued("client_credentials")
    metrics.count_sign_in_failure("bad_password")
    metrics.count_sign_in_failure("bad_password")
    assert sample(client, "logbook_tokens_issued_total", grant_type="client_credentials") == issued + 1
    assert sample(client, "logbook_sign_in_failures_total", reason="bad_password") == failed + 2


def test_a_configured_token_is_required_to_scrape(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_ENABLED=True, METRICS_TOKEN="s3cret-scrape-token").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"


def test_a_refused_scrape_says_how_to_authenticate(make_app: Callable[..., Flask]) -> None:
    client = make_app(METRICS_ENABLED=True, METRICS_TOKEN="s3cret-scrape-token").test_client()
    assert client.get("/metrics").headers["WWW-Authenticate"].startswith("Bearer")


def test_workers_share_their_counts_through_the_multiprocess_folder(tmp_path: Path) -> None:
    """Several gunicorn workers: each writes to PROMETHEUS_MULTIPROC_DIR and the scrape adds them up."""
    script = (
        "from idp import metrics; metrics.count_token_issued('refresh_token'); print(metrics.exposition()[0].decode())"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # two worker processes, one after the other
        subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)
    scrape = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    assert 'logbook_tokens_issued_total{grant_type="refresh_token"} 3.0' in scrape.stdout
