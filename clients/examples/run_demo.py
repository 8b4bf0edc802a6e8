"""``make demo``: seed the demo database, then run Logbook (gunicorn) and the four example services on
loopback ports until Ctrl-C. What is seeded is in ``demo.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from clients.examples.demo import CLIENTS_FILE, EXAMPLES, LOGBOOK_PORT, base_url
from clients.examples.demo_accounts import demo_database_url
from idp.config import PROJECT_ROOT


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def main() -> None:
    """Seed, start Logbook (gunicorn) and the four examples, wait for Ctrl-C, stop them all."""
    bin_dir = Path(sys.executable).parent
    issuer = f"http://127.0.0.1:{LOGBOOK_PORT}"
    env = {**os.environ, "LOGBOOK_ISSUER": issuer, "EXAMPLES_CLIENTS_FILE": str(CLIENTS_FILE)}
    env["DATABASE_URL"] = demo_database_url()
    subprocess.run([str(bin_dir / "logbook"), "demo", "seed"], env=env, check=True, cwd=PROJECT_ROOT)
    gunicorn = [str(bin_dir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{LOGBOOK_PORT}"]
    processes = [subprocess.Popen([*gunicorn, "idp.app:create_app()"], env=env, cwd=PROJECT_ROOT)]
    try:
        _wait(f"{issuer}/healthz", processes[0])
        for example in EXAMPLES:
            command = [sys.executable, "-m", f"clients.examples.{example.module}"]
            processes.append(subprocess.Popen(command, env=env, cwd=PROJECT_ROOT))
            _wait(base_url(example), processes[-1])
        print("\nLogbook and the four examples are running (addresses above). Ctrl-C stops them all.", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the demo the way Ctrl-C does: children first


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)
    main()
