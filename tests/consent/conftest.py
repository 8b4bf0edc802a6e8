"""Fixtures for the consent tests: a real HTTP endpoint standing in for a client's back-channel URI."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest


class Receiver(BaseHTTPRequestHandler):
    """Records each POST; answers only once ``release`` is set (tests hold it to act as a slow client)."""

    received: list[dict[str, list[str]]] = []
    release = threading.Event()

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        length = int(self.headers.get("Content-Length", 0))
        Receiver.received.append(parse_qs(self.rfile.read(length).decode()))
        Receiver.release.wait()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.release = threading.Event()
    Receiver.release.set()
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel"
    Receiver.release.set()
    server.shutdown()
    server.server_close()
