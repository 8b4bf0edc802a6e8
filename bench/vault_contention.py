"""Two processes reading one SQLite vault at once, without HTTP: the access-log append lock against SQLite's
busy handler, in the same minutes.

    .venv/bin/python -m bench.vault_contention [--seconds 8 --rounds 1]

Each process (spawned, like a gunicorn worker) builds the app on the same database file and reads the bench's
module of 20 records through Flask's test client in a closed loop; every read appends to the access log. Mode
``lock`` is the code as shipped (``idp.append_lock``, checkpoints on a thread); mode ``busy`` is the old way
(appends wait in SQLite's busy handler, commits checkpoint every 1,000 pages). Prints reads/s, latency
percentiles and process CPU per read for each, alternating.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from typing import Any

URL = "/api/v1/vault/modules/tenancy/records"


def _config(folder: Path) -> dict[str, Any]:
    return {
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'db.sqlite'}",
        "KEYS_DIR": folder / "keys",
        "ISSUER": "http://127.0.0.1",
        "ACCESS_LOG": False,
    }


def _old_way() -> None:
    import consent.access_log
    from idp import sqlite_checkpoints

    sqlite_checkpoints.SAFETY_NET_PAGES = 1000
    sqlite_checkpoints.ensure_checkpointer = lambda path: None  # type: ignore[assignment]
    consent.access_log.serialised_append = contextlib.nullcontext  # type: ignore[assignment]


def reader(folder: Path, token: str, mode: str, seconds: float, results: Any) -> None:
    if mode == "busy":
        _old_way()
    from idp.app import create_app

    app = create_app(_config(folder))
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the run
    http, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    for _ in range(100):  # warm-up: caches, connections
        http.get(URL, headers=headers)
    latencies, end, cpu = [], time.perf_counter() + seconds, time.process_time()
    while time.perf_counter() < end:
        started = time.perf_counter()
        assert http.get(URL, headers=headers).status_code == 200
        latencies.append(time.perf_counter() - started)
    results.put((latencies, time.process_time() - cpu))


def run(mode: str, seconds: float) -> str:
    from bench.vault import seed_citizen_with_module
    from idp.app import create_app
    from idp.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="logbook-contention-"))
    app = create_app(_config(folder))
    with app.app_context():
        db.create_all()
        token = seed_citizen_with_module(app)
        db.session.remove()
        db.engine.dispose()
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    processes = [spawn.Process(target=reader, args=(folder, token, mode, seconds, results)) for _ in range(2)]
    for process in processes:
        process.start()
    finished = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join(30)
    latencies = sorted(value for found in finished for value in found[0])
    count, cpu = len(latencies), sum(found[1] for found in finished)

    def ms(share: float) -> str:
        return f"{1000 * latencies[min(count - 1, int(count * share))]:.1f}"

    load = os.getloadavg()[0]
    return (
        f"{mode:4s} load {load:.1f}: {count / seconds:.0f} reads/s, p50 {ms(0.5)} ms, p99 {ms(0.99)} ms, "
        f"max {1000 * latencies[-1]:.1f} ms, {1000 * cpu / count:.2f} ms CPU per read"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for mode in ("lock", "busy"):
            print(run(mode, args.seconds), flush=True)


if __name__ == "__main__":
    main()
