"""Start Logbook under gunicorn on a free loopback port, seed it, load it, print, stop everything.

    with LogbookServer(workers=2) as server:
        data = server.seed(my_seed)            # runs in-process on the same database, returns what the load needs
        server.start()                         # gunicorn, waits for /readyz
        result = asyncio.run(run_load(...))    # bench.loadgen
        print(result.line())

The server gets its own temporary folder (SQLite file, keys, outbox, logs) unless ``DATABASE_URL`` /
``REDIS_URL`` are given: then it uses a fresh database made on that PostgreSQL server for this run (and
dropped afterwards) and the given Redis. Every process it starts is stopped on exit, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import loadgen
from bench.loadgen import Request

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def common_arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (after warm-up)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    # The server Logbook ships (what `make run` serves, idp/ops/gunicorn_conf.py), unless told otherwise.
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", _shipped_threads())))
    parser.add_argument("--json", action="store_true", help="print one JSON object per result")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--profile", action="store_true", help="sample the workers with py-spy while the load runs")
    parser.add_argument("--peer", help="run the workload against this issuer URL instead of starting Logbook")
    parser.add_argument("--client-id", help="with --peer: the client to authenticate as")
    parser.add_argument("--client-secret", help="with --peer: its secret")
    parser.add_argument("--scope", default=None, help="scope to request (default: the workload's)")
    parser.add_argument(
        "--server-pids",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[],
        help="with --peer: the peer's process ids, to report its CPU per request",
    )
    return parser


def report(summary: dict[str, Any], as_json: bool) -> None:
    print(json.dumps(summary) if as_json else loadgen.line(summary), flush=True)


def measure(name: str, request: Request, args: argparse.Namespace, profile_pids: list[int] | None = None) -> dict:
    """Check the request works once, then load it: wrk when installed (``--generator auto``), else Python."""
    status, body = run(loadgen.fetch(request))
    if status >= 400:
        raise SystemExit(f"{name}: the first request failed with {status}: {body[:300]!r}")
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and loadgen.have_wrk())
    load(name, request, use_wrk, args.warmup, args.concurrency)  # warm-up: caches, connections; discarded
    cpu_before = cpu_seconds(args.server_pids)
    profiler = Profiler(profile_pids, args.duration, Path(tempfile.mkdtemp()) / name) if profile_pids else None
    summary = load(name, request, use_wrk, args.duration, args.concurrency)
    if args.server_pids:
        # CPU the server spent per answer: unlike throughput, barely moved by other load on the machine.
        summary["server_cpu_ms_per_request"] = round(
            1000 * (cpu_seconds(args.server_pids) - cpu_before) / max(1, summary["requests"]), 3
        )
    if profiler is not None:
        summary["profile"] = str(profiler.summarise(profiler.wait()))
    return summary


def load(name: str, request: Request, use_wrk: bool, seconds: float, concurrency: int) -> dict:
    if use_wrk:
        return loadgen.run_wrk(name, request, seconds, concurrency, warmup=0)
    payload = request.encode()
    return run(loadgen.run_load(name, request.url, lambda: payload, seconds, concurrency, warmup=0)).summary()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _shipped_threads() -> str:
    from idp.ops import gunicorn_conf

    return str(gunicorn_conf.threads)


def _shipped_worker_class() -> str:
    from idp.ops import gunicorn_conf

    return gunicorn_conf.worker_class


class LogbookServer:
    """One Logbook under gunicorn, with its own state; a context manager that always cleans up."""

    def __init__(
        self, workers: int = 2, threads: int = 1, access_log: bool = True, extra_env: dict[str, str] | None = None
    ) -> None:
        self.workers, self.threads, self.access_log = workers, threads, access_log
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="logbook-bench-"))
        self.secret_key = secrets.token_hex(32)
        self.process: subprocess.Popen[bytes] | None = None
        self._pg_admin_url: str | None = None
        self.database_url = self._make_database()
        self.redis_url = os.environ.get("REDIS_URL")

    # -- state ----------------------------------------------------------------------------------------
    def _make_database(self) -> str:
        given = os.environ.get("DATABASE_URL", "")
        if not given.startswith("postgresql"):
            return f"sqlite:///{self.folder / 'logbook.sqlite'}"
        name = f"logbook_bench_{secrets.token_hex(4)}"
        self._pg_admin_url = given
        engine = create_engine(given, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(given).set(database=name).render_as_string(hide_password=False)

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "LOGBOOK_ENV": "development",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "LOGBOOK_ISSUER": self.url,
            "LOGBOOK_KEYS_DIR": str(self.folder / "keys"),
            "LOGBOOK_OUTBOX_DIR": str(self.folder / "outbox"),
            "LOGBOOK_ACCESS_LOG": "1" if self.access_log else "0",
            "PYTHONPATH": str(ROOT),
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return {**env, **self.extra_env}

    def config(self) -> dict[str, Any]:
        """The same settings as the gunicorn workers get, for the app built in this process."""
        config: dict[str, Any] = {
            "ENV_NAME": "development",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "ISSUER": self.url,
            "KEYS_DIR": self.folder / "keys",
            "MAIL_OUTBOX_DIR": self.folder / "outbox",
            "ACCESS_LOG": False,
        }
        if self.redis_url:
            config.update(REDIS_URL=self.redis_url, RATELIMIT_STORAGE_URI=self.redis_url)
        return config

    def seed(self, seeder: Callable[[Any], Any]) -> Any:
        """Create the tables and run ``seeder(app)`` inside an app context on the server's database."""
        from idp.app import create_app
        from idp.extensions import db

        app = create_app(self.config())
        with app.app_context():
            db.create_all()
            result = seeder(app)
            db.session.remove()
            db.engine.dispose()
        return result

    # -- process --------------------------------------------------------------------------------------
    def start(self) -> LogbookServer:
        command = self._granian_command() if os.environ.get("BENCH_SERVER") == "granian" else self._gunicorn_command()
        env = self.environment()
        log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        self._wait_ready()
        return self

    def _granian_command(self) -> list[str]:
        """BENCH_SERVER=granian: the same app under granian (Rust HTTP, WSGI), for comparison only."""
        command = [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--factory"]
        command += ["--workers", str(self.workers), "--blocking-threads", str(self.threads)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        return [*command, (os.environ.get("BENCH_APP") or "idp.app:create_app").removesuffix("()")]

    def _gunicorn_command(self) -> list[str]:
        # The production configuration (gthread workers, keep-alive), with this run's workers and threads;
        # BENCH_GUNICORN_CONFIG swaps in another one for experiments, BENCH_WORKER_CLASS=sync the old workers.
        config = os.environ.get("BENCH_GUNICORN_CONFIG") or "python:idp.ops.gunicorn_conf"
        command = [str(GUNICORN), "--config", config, "--workers", str(self.workers), "--threads", str(self.threads)]
        if os.environ.get("BENCH_WORKER_CLASS"):  # otherwise the shipped configuration's worker class
            command += ["--worker-class", os.environ["BENCH_WORKER_CLASS"]]
        command += ["--bind", f"127.0.0.1:{self.port}", "--keep-alive", "30"]
        if os.environ.get("BENCH_PRELOAD") == "1":
            command.append("--preload")
        command.append(os.environ.get("BENCH_APP") or "idp.app:create_app()")
        return command

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.folder / 'server.log'}\n" + self.log_tail())
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Logbook did not become ready in time\n" + self.log_tail())

    def describe(self) -> str:
        database = "PostgreSQL" if self.database_url.startswith("postgresql") else "SQLite"
        if os.environ.get("BENCH_SERVER") == "granian":
            return f"granian {self.workers} workers x{self.threads} blocking threads, {database}"
        worker_class = os.environ.get("BENCH_WORKER_CLASS") or _shipped_worker_class()
        kind = f"{worker_class.rsplit('.', 1)[-1]} x{self.threads}"
        return f"gunicorn {self.workers} workers ({kind}), {database}, {'Redis' if self.redis_url else 'no Redis'}"

    def log_tail(self, lines: int = 30) -> str:
        path = self.folder / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False)
        workers = [int(pid) for pid in found.stdout.split()]
        # granian's main process runs no Python requests but count it too, in case it does work for them
        return [self.process.pid, *workers] if os.environ.get("BENCH_SERVER") == "granian" else workers

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None

    def __enter__(self) -> LogbookServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self._pg_admin_url:
            engine = create_engine(self._pg_admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                name = make_url(self.database_url).database
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
        if not os.environ.get("BENCH_KEEP"):
            subprocess.run(["rm", "-rf", str(self.folder)], check=False)


class Profiler:
    """py-spy sampling every worker while the load runs, then a summary of where the time went."""

    def __init__(self, pids: list[int], seconds: float, output: Path) -> None:
        self.output = output
        py_spy = Path(sys.executable).parent / "py-spy"
        self.processes = [
            subprocess.Popen(
                [str(py_spy), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250"]
                + ["--function", "--nonblocking", "--format", "raw", "--output", f"{output}.{pid}.txt"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in pids
        ]

    def wait(self) -> list[Path]:
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        return sorted(self.output.parent.glob(self.output.name + ".*.txt"))

    def summarise(self, files: list[Path], top: int = 30) -> Path:
        """Inclusive share of samples per function over every worker (from py-spy's collapsed stacks)."""
        inclusive: dict[str, int] = {}
        own: dict[str, int] = {}
        total = 0
        for path in files:
            for row in path.read_text().splitlines():
                stack, _, count = row.rpartition(" ")
                frames = stack.split(";")
                total += int(count)
                for frame in set(frames):
                    inclusive[frame] = inclusive.get(frame, 0) + int(count)
                own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        report = self.output.with_name(self.output.name + "-profile.txt")
        lines = [f"{total} samples over {len(files)} workers", "", "inclusive %  self %  function (file:line)"]
        for frame, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
            lines.append(
                f"{100 * count / max(total, 1):10.1f}  {100 * own.get(frame, 0) / max(total, 1):6.1f}  {frame}"
            )
        lines += ["", "by self time:"]
        for frame, count in sorted(own.items(), key=lambda item: -item[1])[:top]:
            lines.append(f"{100 * count / max(total, 1):6.1f}  {frame}")
        report.write_text("\n".join(lines) + "\n")
        return report


def discovery(issuer: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=5) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def run(coroutine: Any) -> Any:
    """asyncio.run with a hard stop: whatever happens, the process gives up after 10 minutes. When this
    thread already runs an event loop (a caller that drives a browser with Playwright's sync API does),
    the load runs on a thread of its own, since one thread can run only one loop."""
    signal.alarm(600)
    try:
        if not _loop_running():
            return asyncio.run(coroutine)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()
    finally:
        signal.alarm(0)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
