"""The benchmark harness keeps working: it starts Logbook under gunicorn on loopback, seeds it through the
services, runs bounded load, and leaves nothing behind."""

from __future__ import annotations

import argparse

import pytest

from bench.harness import LogbookServer, measure
from bench.workloads import seed_service_client, token_request


@pytest.mark.live_server
def test_the_harness_loads_the_token_endpoint_and_stops_everything() -> None:
    args = argparse.Namespace(duration=1, warmup=0.2, concurrency=2, generator="python", server_pids=[])
    with LogbookServer(workers=1) as server:
        client_id, secret = server.seed(seed_service_client)
        server.start()
        process, folder = server.process, server.folder
        summary = measure("token", token_request(server.url, client_id, secret, "vault:support:read"), args)
    assert summary["requests"] > 0 and summary["errors"] == 0
    assert process is not None and process.poll() is not None
    assert not folder.exists()
