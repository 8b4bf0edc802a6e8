"""A real HTTP receiver for OpenID Connect Back-Channel Logout tokens, listening on a free loopback port.

def test_...(receiver: LogoutReceiver) -> None:
    rp = make_rp(backchannel_logout_uri=receiver.uri)
    ...
    assert receiver.sids(client) == [sid]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet


class LogoutReceiver:
    """Collects every ``logout_token`` POSTed to ``uri`` (section 2.5: form-encoded), answering 200."""

    def __init__(self, port: int, delay: float = 0.0) -> None:
        self.uri = f"http://127.0.0.1:{port}/backchannel-logout"
        self.tokens: list[str] = []
        self.lock = threading.Lock()
        self.delay = delay  # seconds to wait before answering: a slow client

    def decoded(self, client: FlaskClient) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(header, claims) of each received token, its signature checked against the published JWKS."""
        keys = KeySet.import_key_set(client.get("/jwks.json").get_json())
        with self.lock:
            tokens = list(self.tokens)
        return [(dict(token.header), dict(token.claims)) for token in (jwt.decode(t, keys) for t in tokens)]

    def sids(self, client: FlaskClient) -> list[str]:
        return sorted(claims["sid"] for _, claims in self.decoded(client))


def _handler(receiver: LogoutReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            body = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            time.sleep(receiver.delay)
            with receiver.lock:
                receiver.tokens.extend(body.get("logout_token", []))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(delay: float = 0.0) -> Iterator[LogoutReceiver]:
    """A receiver on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = LogoutReceiver(server.server_port, delay)
    server.RequestHandlerClass = _handler(found)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    with running_receiver() as found:
        yield found
