"""A gunicorn configuration for production: ``gunicorn -c python:idp.ops.gunicorn_conf 'idp.app:create_app()'``.

Settings come from the environment (``GUNICORN_*`` below, then gunicorn's own ``GUNICORN_CMD_ARGS``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 2)))
# gthread (kept-alive connections wait in the worker's poller, not on a thread), changed to leave new
# connections to an idle sibling while its threads are busy: plain gthread let one worker take all of them.
worker_class = "idp.ops.balanced_worker.BalancedThreadWorker"
# One thread per worker: Python runs one request at a time per worker anyway, and a second thread only
# interleaves two requests under the GIL, which stretches both (docs/benchmarks.md, vault read). Where requests
# wait on the network (PostgreSQL, Redis), GUNICORN_THREADS=2 or more lets a worker use those waits.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "30"))
# Restart workers now and then so that slow leaks cannot grow without bound; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# The app writes its own JSON access line (no query strings); gunicorn's would log them.
accesslog = None
errorlog = "-"
# gunicorn's own lines (start, worker boot and timeouts) as JSON too, like the app's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "idp.observability.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": []},  # the app adds its own JSON handler to the root
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Prometheus multiprocess mode: every start begins with an empty folder, or old workers' values stay."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (counters and histograms keep counting across restarts)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
