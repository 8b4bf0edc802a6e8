"""A small closed-loop HTTP/1.1 load generator: fixed concurrency, fixed duration, a hard stop.

Each of ``concurrency`` connections sends a request, waits for the whole answer, and sends the next one
(keep-alive when the server allows, a new connection when it says ``Connection: close``). Requests are
prepared bytes, so the generator spends a few microseconds per request and leaves the CPU to the server:
on a 2-core machine the client and the server share the cores, and a heavy client would hide the server.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT = 10.0


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self) -> bytes:
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": parts.netloc, "Content-Length": str(len(self.body)), **self.headers}
        head = f"{self.method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return head.encode() + b"\r\n" + self.body


@dataclass
class Result:
    name: str
    duration: float
    concurrency: int
    latencies: list[float]
    errors: int
    statuses: dict[int, int]

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.completed / self.duration if self.duration else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "requests": self.completed,
            "errors": self.errors,
            "statuses": {str(key): value for key, value in sorted(self.statuses.items())},
            "seconds": round(self.duration, 2),
            "concurrency": self.concurrency,
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else None,
        }

    def line(self) -> str:
        return line(self.summary())

    def json(self) -> str:
        return json.dumps(self.summary())


def line(s: dict[str, object]) -> str:
    """One human-readable line for a result summary."""
    return (
        f"{s['name']}: {s['throughput']} req/s, p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms "
        f"({s['requests']} requests, {s['errors']} errors, {s['seconds']} s, concurrency {s['concurrency']}, "
        f"{s.get('generator', 'python')})"
    )


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server will close the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    closing = headers.get("connection", "").lower() == "close" or lines[0].startswith("HTTP/1.0")
    return status, body, closing


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def fetch(request: Request) -> tuple[int, bytes]:
    """One request on its own connection (for set-up steps such as getting a token to introspect)."""
    parts = urlsplit(request.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        writer.write(request.encode())
        status, body, _ = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
        return status, body
    finally:
        writer.close()


class _Run:
    def __init__(self, host: str, port: int, next_request: Callable[[], bytes]) -> None:
        self.host, self.port, self.next_request = host, port, next_request
        self.recording = False
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0

    async def connection(self, stop_at: float) -> None:
        reader = writer = None
        while time.perf_counter() < stop_at:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                assert reader is not None
                started = time.perf_counter()
                writer.write(self.next_request())
                status, _, closing = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
                self.record(status, time.perf_counter() - started)
                if closing:
                    writer.close()
                    reader = writer = None
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                self.errors += self.recording
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
        if writer is not None:
            writer.close()

    def record(self, status: int, seconds: float) -> None:
        if not self.recording:
            return
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 400:
            self.errors += 1


async def run_load(
    name: str,
    url: str,
    next_request: Callable[[], bytes],
    duration: float = 10.0,
    concurrency: int = 16,
    warmup: float = 2.0,
) -> Result:
    """Drive ``concurrency`` connections for ``warmup`` + ``duration`` seconds; only the second part counts.
    Connections stop at the deadline; anything still running a little after it is cancelled (hard stop)."""
    parts = urlsplit(url)
    run = _Run(parts.hostname or "127.0.0.1", parts.port or 80, next_request)
    stop_at = time.perf_counter() + warmup + duration
    tasks = [asyncio.ensure_future(run.connection(stop_at)) for _ in range(concurrency)]
    await asyncio.sleep(warmup)
    run.recording = True
    measured_from = time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=duration + REQUEST_TIMEOUT + 1)
    for task in pending:
        task.cancel()
    elapsed = min(time.perf_counter(), stop_at) - measured_from
    return Result(name, elapsed, concurrency, run.latencies, run.errors, run.statuses)


# -- wrk (Debian's `wrk`), when installed: a C load generator that leaves more CPU to the server -------------
WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  io.write(string.format('{{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%.1f,"p99_us":%.1f,"mean_us":%.1f}}\\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


def have_wrk() -> bool:
    import shutil

    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    return json.dumps(value)  # ASCII JSON string literals are valid Lua string literals


def run_wrk(name: str, request: Request, duration: float = 10.0, concurrency: int = 16, warmup: float = 2.0) -> dict:
    """The same closed loop as ``run_load`` for one fixed request, driven by wrk (one thread)."""
    import subprocess
    import tempfile

    headers = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in request.headers.items())
    script = WRK_SCRIPT.format(
        method=_lua_string(request.method), body=_lua_string(request.body.decode()), headers=headers
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = ["wrk", "-t1", f"-c{concurrency}", "--timeout", "10s", "-s", lua.name, request.url]
        if warmup > 0:
            subprocess.run(
                [*command[:1], f"-d{max(1, round(warmup))}s", *command[1:]], capture_output=True, timeout=warmup + 30
            )
        done = subprocess.run(
            [*command[:1], f"-d{max(1, round(duration))}s", *command[1:]],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=True,
        )
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = stats["duration_us"] / 1e6
    return {
        "name": name,
        "requests": stats["requests"],
        "errors": stats["non2xx"] + stats["socket_errors"],
        "seconds": round(seconds, 2),
        "concurrency": concurrency,
        "throughput": round(stats["requests"] / seconds, 1),
        "p50_ms": round(stats["p50_us"] / 1000, 2),
        "p99_ms": round(stats["p99_us"] / 1000, 2),
        "mean_ms": round(stats["mean_us"] / 1000, 2),
        "generator": "wrk",
    }


# -- multi-step flows (a browser and a relying party taking turns), with aiohttp ------------------------------
async def run_flows(
    name: str,
    flow: Callable[[Any], Awaitable[None]],
    duration: float = 10.0,
    concurrency: int = 16,
    warmup: float = 2.0,
) -> Result:
    """Like ``run_load`` but each unit of work is ``await flow(session)`` (several requests); a flow that
    raises counts as an error. One aiohttp session with keep-alive, ``concurrency`` flows at a time."""
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    recording = False
    stop_at = time.perf_counter() + warmup + duration

    async def worker(session: Any) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                await asyncio.wait_for(flow(session), REQUEST_TIMEOUT)
            except Exception:  # noqa: BLE001 - any failure of a flow is an error, counted and survived
                errors += recording
                await asyncio.sleep(0.01)
                continue
            if recording:
                latencies.append(time.perf_counter() - started)
                statuses[200] = statuses.get(200, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        tasks = [asyncio.ensure_future(worker(session)) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        recording = True
        measured_from = time.perf_counter()
        _, pending = await asyncio.wait(tasks, timeout=duration + REQUEST_TIMEOUT + 1)
        for task in pending:
            task.cancel()
    elapsed = min(time.perf_counter(), stop_at) - measured_from
    return Result(name, elapsed, concurrency, latencies, errors, statuses)
