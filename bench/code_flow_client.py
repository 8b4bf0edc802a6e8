"""A lean relying party + browser for ``bench.code_flow``: the same flow on plain asyncio streams.

The generator runs on the same two cores as the server, and aiohttp spent ~2.7 ms of CPU per flow (three
requests: its request and response objects, header multidicts, cookie and URL handling), which at the
target rate would be most of a core. This client still does everything a real one must:

- PKCE: a fresh random verifier per flow, its S256 challenge sent to authorize, the verifier to token;
- a fresh ``state`` and ``nonce`` per flow; the 302's ``Location`` is parsed, must go to the registered
  redirect URI and carry the same ``state`` and our issuer (RFC 9207 ``iss``), and its ``code`` is used;
- the browser's session cookie is sent, and replaced when the server sets a new one (as a browser would);
- token: the code with ``client_secret_basic``, the JSON answer parsed, an access token required;
- userinfo: the access token as a bearer, a 200 with a JSON body naming a ``sub`` required.

It writes each request as one buffer and reads answers with ``Content-Length`` (or chunked) on a
keep-alive connection per concurrent flow, reconnecting when the server closes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import weakref
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bench.loadgen import read_chunked
from bench.workloads import FORM, basic_auth


class Connection:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        """Send ``head`` (request line and headers, without the blank line) and ``body``; the answer."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)
        status, headers, answer = await _read_answer(self.reader)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()  # the flow needs no repeated header
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return status, headers, await read_chunked(reader)
    return status, headers, await reader.readexactly(int(headers.get("content-length", "0")))


class Pool:
    """Connections handed to flows one at a time (``run_flows`` passes this as the flow's session)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []

    def take(self) -> Connection:
        return self.idle.pop() if self.idle else Connection(self.host, self.port)

    def give_back(self, connection: Connection) -> None:
        self.idle.append(connection)


class Browser:
    """The citizen's browser (its session cookie) and the relying party's registration."""

    def __init__(self, meta: dict[str, Any], seed: dict[str, str], redirect_uri: str, scope: str) -> None:
        self.meta, self.redirect_uri, self.scope = meta, redirect_uri, scope
        self.client_id = seed["client_id"]
        self.cookie = seed["cookie"]
        self.cookie_name = self.cookie.split("=", 1)[0]
        self.basic = basic_auth(seed["client_id"], seed["secret"])
        issuer = urlsplit(meta["issuer"])
        self.host_header = issuer.netloc
        self.paths = {name: urlsplit(meta[name]).path for name in ("authorization_endpoint", "token_endpoint")}
        self.paths["userinfo_endpoint"] = urlsplit(meta["userinfo_endpoint"]).path

    def keep_cookie(self, headers: dict[str, str]) -> None:
        """A browser stores the session cookie the server sets (Flask re-signs it as the session goes on)."""
        set_cookie = headers.get("set-cookie", "")
        if set_cookie.startswith(self.cookie_name + "="):
            self.cookie = set_cookie.split(";", 1)[0]

    async def authorize(self, connection: Connection) -> tuple[str, str]:
        """The code and the PKCE verifier it is bound to."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(12)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": state,
                "nonce": secrets.token_urlsafe(12),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        head = f"GET {self.paths['authorization_endpoint']}?{query} HTTP/1.1\r\nHost: {self.host_header}\r\n"
        status, headers, body = await connection.request(head + f"Cookie: {self.cookie}\r\n")
        self.keep_cookie(headers)
        location = headers.get("location", "")
        if status != 302 or not location.startswith(self.redirect_uri + "?"):
            raise RuntimeError(f"authorize answered {status}: {location or body[:300]!r}")
        answer = parse_qs(urlsplit(location).query)
        if answer.get("state") != [state] or answer.get("iss") != [self.meta["issuer"]] or "code" not in answer:
            raise RuntimeError(f"authorize redirected with an unexpected answer: {location}")
        return answer["code"][0], verifier

    async def token(self, connection: Connection, code: str, verifier: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        form["code_verifier"] = verifier
        head = f"POST {self.paths['token_endpoint']} HTTP/1.1\r\nHost: {self.host_header}\r\n"
        head += f"Authorization: {self.basic}\r\nContent-Type: {FORM}\r\n"
        status, _, body = await connection.request(head, urlencode(form).encode())
        tokens: dict[str, Any] = json.loads(body) if status == 200 else {}
        if "access_token" not in tokens or "id_token" not in tokens:
            raise RuntimeError(f"token answered {status}: {body[:300]!r}")
        return tokens

    async def userinfo(self, connection: Connection, access_token: str) -> dict[str, Any]:
        head = f"GET {self.paths['userinfo_endpoint']} HTTP/1.1\r\nHost: {self.host_header}\r\n"
        status, _, body = await connection.request(head + f"Authorization: Bearer {access_token}\r\n")
        claims: dict[str, Any] = json.loads(body) if status == 200 else {}
        if "sub" not in claims:
            raise RuntimeError(f"userinfo answered {status}: {body[:300]!r}")
        return claims

    async def flow(self, pool: Pool) -> None:
        connection = pool.take()
        try:
            code, verifier = await self.authorize(connection)
            tokens = await self.token(connection, code, verifier)
            await self.userinfo(connection, tokens["access_token"])
        except BaseException:
            connection.close()  # an answer may be half read: never reuse the connection
            raise
        pool.give_back(connection)


def make_lean_flow(meta: dict[str, Any], seed: dict[str, str], redirect_uri: str, scope: str) -> Any:
    """A flow for ``bench.loadgen.run_flows`` (which passes its aiohttp session, unused here): connections
    belong to one event loop, and each ``run`` starts a new one, so each loop gets its own pool."""
    browser = Browser(meta, seed, redirect_uri, scope)
    pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pool] = weakref.WeakKeyDictionary()
    issuer = urlsplit(meta["issuer"])

    async def flow(_session: Any) -> None:
        loop = asyncio.get_running_loop()
        if loop not in pools:
            pools[loop] = Pool(issuer.hostname or "127.0.0.1", issuer.port or 80)
        await browser.flow(pools[loop])

    return flow
