"""The production gunicorn worker (idp.ops.balanced_worker): a worker whose threads are all busy leaves new
connections to its idle siblings, so that kept-alive connections spread over the workers instead of piling up
on whichever worker won the race to accept (gthread put all 16 of a load test's connections on one of two)."""

from __future__ import annotations

import os
import selectors
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from idp.ops import balanced_worker
from idp.ops.balanced_worker import BalancedThreadWorker


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


@pytest.fixture
def worker(listener: socket.socket) -> Iterator[BalancedThreadWorker]:
    """A worker on a real listening socket, set up as its process would be (without the app or the loop)."""
    cfg = Config()
    cfg.set("threads", 1)
    made = BalancedThreadWorker(0, os.getppid(), [listener], None, 30, cfg, Logger(cfg))
    made.tpool, made.poller = made.get_thread_pool(), selectors.DefaultSelector()
    made.method_queue.init()
    made.set_accept_enabled(True)
    yield made
    made.tpool.shutdown(wait=True)
    made.poller.close()
    made.method_queue.close()


def connect(listener: socket.socket) -> socket.socket:
    return socket.create_connection(listener.getsockname())


def finish_everything(worker: Any) -> None:
    """What the worker's loop does when its threads report back: run the queued callbacks."""
    deadline = time.monotonic() + 10
    while worker.in_flight and time.monotonic() < deadline:
        worker.method_queue.run_callbacks(None)
        time.sleep(0.01)


def test_a_worker_with_every_thread_busy_stops_accepting(worker, listener):
    client = connect(listener)
    worker.accept(listener)
    assert worker.in_flight == 1
    assert not worker._accepting
    worker.set_accept_enabled(True)  # the loop's own rule (under the connection limit) is not enough
    assert not worker._accepting
    client.close()


def test_it_accepts_again_once_a_thread_is_free(worker, listener):
    client = connect(listener)
    worker.accept(listener)
    client.close()  # the thread reads the end of the connection and is done with it
    finish_everything(worker)
    worker.set_accept_enabled(True)
    assert worker.in_flight == 0 and worker._accepting


def test_a_worker_that_stays_busy_takes_one_more_connection_after_its_patience(worker, listener):
    """When every worker is busy, new connections must still get in, not wait in the backlog."""
    client = connect(listener)
    worker.accept(listener)
    time.sleep(balanced_worker.PATIENCE * 2)
    worker.set_accept_enabled(True)
    assert worker.in_flight == 1 and worker._accepting
    client.close()
