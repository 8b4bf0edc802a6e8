"""gunicorn's gthread worker, made to leave new connections to its siblings while its threads are all busy.

Every worker waits on the one listening socket, and the worker already running wins the race to accept: here
all 16 keep-alive connections of a load test landed on one of two workers while the other idled, in run after
run, halving the capacity and doubling every latency; a proxy's pool of keep-alive connections does the same.
This worker stops listening while every thread has a request (queued ones included), so that an idle sibling
accepts the connection. A worker that stays busy listens again after ``PATIENCE`` for one more connection: when
every worker is busy, new connections still get in, one per worker per ``PATIENCE``. Everything else is gthread's;
the counting runs on the worker's main thread only (accepting, re-polling kept-alive connections and finishing
requests all happen there).
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

PATIENCE = 0.005  # seconds a busy worker leaves a waiting connection to its siblings


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0
        self.stopped_at = 0.0

    def _busy(self) -> bool:
        return self.in_flight >= self.cfg.threads

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)
        if self._busy() and self._accepting:
            super().set_accept_enabled(False)
            self.stopped_at = time.monotonic()

    def finish_request(self, conn: Any, fs: Any) -> None:
        # Before gthread's own handling, which may hand the connection straight back (read-ahead request).
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop calls this on every turn while this worker is not listening (its own rule, connections
        # under the limit, says it may): listen again once a thread is free or the patience has run out.
        if enabled and self._busy() and time.monotonic() - self.stopped_at < PATIENCE:
            enabled = False
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # Not listening: wake in time to end the patience, not after gthread's one-second turn.
        super().wait_for_and_dispatch_events(timeout if self._accepting else min(timeout, PATIENCE))
