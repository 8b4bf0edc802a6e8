"""Gunicorn config for A/B runs of the vault read: the production configuration, with this session's two
changes to SQLite appends switchable, to measure each against the old behaviour in the same minutes.

    BENCH_GUNICORN_CONFIG=bench/experiments/vault_append.py BENCH_APPEND_LOCK=0 .venv/bin/python -m bench.vault
    BENCH_GUNICORN_CONFIG=bench/experiments/vault_append.py BENCH_CHECKPOINTS=inline .venv/bin/python -m bench.vault

BENCH_APPEND_LOCK=0: access-log appends queue in SQLite's busy handler, not on ``idp.append_lock``.
BENCH_CHECKPOINTS=inline: no checkpoint thread; commits checkpoint every 1,000 pages (SQLite's default).
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from typing import Any

from idp.ops.gunicorn_conf import *  # noqa: F403 - the production settings, unchanged


def post_fork(server: Any, worker: Any) -> None:
    # Before the worker loads the app, so that its first connection already gets these settings.
    if os.environ.get("BENCH_CHECKPOINTS") == "inline":
        from idp import sqlite_checkpoints

        sqlite_checkpoints.SAFETY_NET_PAGES = 1000
        sqlite_checkpoints.ensure_checkpointer = lambda path: None  # type: ignore[assignment]
    if os.environ.get("BENCH_APPEND_LOCK") == "0":
        import consent.access_log

        consent.access_log.serialised_append = nullcontext  # type: ignore[assignment]
