"""The token endpoints' fast path (``idp.oauth2.fast_path``) answers exactly as the Flask views do.

Each request is sent twice through the same app: once as a WSGI server sends it (the fast path in front),
once straight to Flask's own ``wsgi_app`` (what the fast path hands over to), and the two answers must
match: status, JSON body (token contents), and every header (security headers, no-store, the OAuth
error's ``WWW-Authenticate``, and so any rate-limit header a limit on the views would add).
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from werkzeug.test import Client, TestResponse

from idp.app import create_app
from idp.extensions import db
from idp.oauth2.jose import unverified_claims, unverified_header
from tests.conftest import make_test_config
from tests.oauth.helpers import RP, make_rp

CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}
FORM = "application/x-www-form-urlencoded"
SCOPE = "vault:tenancy:read vault:tenancy:write"
# What differs between two answers to the same request: a fresh request id, CSP nonce and token id.
PER_REQUEST_HEADERS = {"X-Request-ID", "Content-Length"}
PER_TOKEN_CLAIMS = {"jti", "iat", "exp"}


@dataclass
class World:
    machine: RP  # client_secret_basic, client credentials
    poster: RP  # client_secret_post, client credentials
    coder: RP  # authorization code only
    resource_server: RP  # may introspect other clients' tokens
    token: str  # an access token of ``machine``


@pytest.fixture
def world(app: Flask) -> World:
    def machine(**metadata: Any) -> RP:
        return make_rp(**{"grant_types": ["client_credentials"], "redirect_uris": [], "scope": SCOPE, **metadata})

    rp = machine()
    issued = fast_client(app).post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic)
    return World(
        machine=rp,
        poster=machine(token_endpoint_auth_method="client_secret_post"),
        coder=make_rp(scope=SCOPE),
        resource_server=machine(scope=f"{SCOPE} introspect"),
        token=issued.get_json()["access_token"],
    )


# gunicorn and granian say they end the body stream themselves (werkzeug's test client does not).
AS_SERVERS_CALL = {"wsgi.input_terminated": True}


def fast_client(app: Flask) -> Client:
    """The app as a WSGI server calls it: every middleware, the fast path included."""
    return Client(app, TestResponse)


def flask_client(app: Flask) -> Client:
    """Flask alone: the WSGI callable the fast path passes requests on to."""
    return Client(functools.partial(Flask.wsgi_app, app), TestResponse)


@pytest.fixture
def flask_requests(app: Flask) -> list[str]:
    """The paths of the requests Flask itself served (its first app-wide hook saw them)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append("flask"))
    return seen


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


# -- the requests the fast path serves: (path, keyword arguments of Client.post) ------------------------
Case = Callable[[World], tuple[str, dict[str, Any]]]
SERVED: dict[str, Case] = {
    "token, client_secret_basic": lambda w: ("/oauth2/token", {"data": CLIENT_CREDENTIALS, "auth": w.machine.basic}),
    "token, client_secret_post": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "client_id": w.poster.client_id, "client_secret": w.poster.secret}},
    ),
    "token, one scope asked": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "scope": "vault:tenancy:read"}, "auth": w.machine.basic},
    ),
    "token, form charset parameter": lambda w: (
        "/oauth2/token",
        {
            "data": "grant_type=client_credentials",
            "content_type": f"{FORM}; charset=UTF-8",
            "auth": w.machine.basic,
        },
    ),
    "token, unknown client in the header (401)": lambda w: (
        "/oauth2/token",
        {"data": CLIENT_CREDENTIALS, "auth": ("nobody", "secret")},
    ),
    "token, wrong secret (401)": lambda w: (
        "/oauth2/token",
        {"data": CLIENT_CREDENTIALS, "auth": (w.machine.client_id, "wrong")},
    ),
    "token, unknown client in the form (400)": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "client_id": "nobody", "client_secret": "secret"}},
    ),
    "token, basic client sending its secret in the form": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "client_id": w.machine.client_id, "client_secret": w.machine.secret}},
    ),
    "token, no credentials": lambda w: ("/oauth2/token", {"data": CLIENT_CREDENTIALS}),
    "token, scope not registered": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "scope": "vault:health:read"}, "auth": w.machine.basic},
    ),
    "token, openid without a user": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "scope": "openid"}, "auth": w.machine.basic},
    ),
    "token, client without the grant type": lambda w: (
        "/oauth2/token",
        {"data": CLIENT_CREDENTIALS, "auth": w.coder.basic},
    ),
    "token, repeated parameter": lambda w: (
        "/oauth2/token",
        {"data": "grant_type=client_credentials&scope=a&scope=b", "content_type": FORM, "auth": w.machine.basic},
    ),
    "token, two authentication methods": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "client_secret": "x"}, "auth": w.machine.basic},
    ),
    "token, Basic credentials not UTF-8": lambda w: (
        "/oauth2/token",
        {"data": CLIENT_CREDENTIALS, "headers": {"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()}},
    ),
    "token, Basic credentials not base64": lambda w: (
        "/oauth2/token",
        {"data": CLIENT_CREDENTIALS, "headers": {"Authorization": "Basic !!!"}},
    ),
    "token, oversized value": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "scope": "x" * 3000}, "auth": w.machine.basic},
    ),
    "token, percent-encoded bytes not UTF-8": lambda w: (
        "/oauth2/token",
        {"data": "grant_type=client_credentials&scope=%ff", "content_type": FORM, "auth": w.machine.basic},
    ),
    "token, NUL in a value": lambda w: (
        "/oauth2/token",
        {"data": "grant_type=client_credentials&scope=a%00b", "content_type": FORM, "auth": w.machine.basic},
    ),
    "introspect, own token": lambda w: ("/oauth2/introspect", {"data": {"token": w.token}, "auth": w.machine.basic}),
    "introspect, resource server": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": w.token, "token_type_hint": "access_token"}, "auth": w.resource_server.basic},
    ),
    "introspect, another client's token (inactive)": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": w.token}, "auth": w.coder.basic},
    ),
    "introspect, not a token (inactive)": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": "a.b.c"}, "auth": w.machine.basic},
    ),
    "introspect, refresh-token hint for an access token": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": w.token, "token_type_hint": "refresh_token"}, "auth": w.machine.basic},
    ),
    "introspect, no token": lambda w: ("/oauth2/introspect", {"data": {"x": "1"}, "auth": w.machine.basic}),
    "introspect, unsupported hint": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": w.token, "token_type_hint": "id_token"}, "auth": w.machine.basic},
    ),
    "introspect, wrong secret (401)": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": w.token}, "auth": (w.machine.client_id, "wrong")},
    ),
    "introspect, client_secret_post": lambda w: (
        "/oauth2/introspect",
        {"data": {"token": w.token, "client_id": w.poster.client_id, "client_secret": w.poster.secret}},
    ),
}

# Requests the fast path leaves to Flask (the same middleware in front, Flask answers).
PASSED_ON: dict[str, Case] = {
    "a body over MAX_CONTENT_LENGTH": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "pad": "x" * (65 * 1024)}, "auth": w.machine.basic},
    ),
    "a JSON body": lambda w: ("/oauth2/token", {"json": CLIENT_CREDENTIALS, "auth": w.machine.basic}),
    "raw bytes that are not UTF-8": lambda w: (
        "/oauth2/token",
        {"data": b"grant_type=client_credentials&scope=\xff", "content_type": FORM, "auth": w.machine.basic},
    ),
    "another grant type": lambda w: (
        "/oauth2/token",
        {"data": {"grant_type": "authorization_code", "code": "x"}, "auth": w.coder.basic},
    ),
    "a client assertion": lambda w: (
        "/oauth2/token",
        {"data": {**CLIENT_CREDENTIALS, "client_assertion": "a.b.c", "client_assertion_type": "x"}},
    ),
    "a query string": lambda w: ("/oauth2/token?x=1", {"data": CLIENT_CREDENTIALS, "auth": w.machine.basic}),
}


def comparable(response: TestResponse) -> dict[str, Any]:
    """An answer without what differs per request (request id, CSP nonce, token ids and times)."""
    headers = {name: value for name, value in response.headers.items() if name not in PER_REQUEST_HEADERS}
    if headers.get("Vary") == "Cookie":  # Flask's mark that a hook looked at the session; no cookie is sent
        assert "Set-Cookie" not in headers
        del headers["Vary"]
    if "Content-Security-Policy" in headers:
        headers["Content-Security-Policy"] = re.sub(r"'nonce-[^']*'", "'nonce'", headers["Content-Security-Policy"])
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "access_token" in body:
        claims = unverified_claims(body.pop("access_token"))
        body["access_token claims"] = {name: value for name, value in claims.items() if name not in PER_TOKEN_CLAIMS}
    assert response.headers["Content-Length"] == str(len(response.get_data()))
    assert response.headers["X-Request-ID"]
    return {"status": response.status, "headers": headers, "body": body if body is not None else response.data}


@pytest.mark.parametrize("case", SERVED.values(), ids=SERVED.keys())
def test_the_fast_path_answers_as_flask_does(app: Flask, world: World, flask_requests: list[str], case: Case) -> None:
    path, request = case(world)
    fast = fast_client(app).post(path, **request, environ_overrides=AS_SERVERS_CALL)
    assert flask_requests == [], "the fast path should have answered this request itself"
    slow = flask_client(app).post(path, **request, environ_overrides=AS_SERVERS_CALL)
    assert flask_requests == ["flask"]
    assert comparable(fast) == comparable(slow)


@pytest.mark.parametrize("case", PASSED_ON.values(), ids=PASSED_ON.keys())
def test_other_requests_are_passed_on_to_flask_with_their_body(
    app: Flask, world: World, flask_requests: list[str], case: Case
) -> None:
    path, request = case(world)
    fast = fast_client(app).post(path, **request)
    assert flask_requests == ["flask"]
    assert fast.status_code != 500
    assert comparable(fast) == comparable(flask_client(app).post(path, **request))


def test_the_token_is_signed_and_valid_for_the_resource_server(app: Flask, world: World) -> None:
    from idp.oauth2.access_tokens import vault_audience, verify_access_token

    issued = fast_client(app).post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=world.machine.basic).get_json()
    claims = verify_access_token(issued["access_token"], vault_audience())  # joserfc checks the signature
    header = unverified_header(issued["access_token"])
    assert (header["alg"], header["typ"]) == (app.config["SIGNING_ALGORITHM"], "at+jwt") and header["kid"]
    assert claims.client_id == world.machine.client_id and claims.scopes == frozenset(SCOPE.split())
    assert issued["expires_in"] == app.config["ACCESS_TOKEN_LIFETIME"] and issued["token_type"] == "Bearer"


def test_a_revoked_token_is_inactive_at_once_on_the_fast_path(app: Flask, world: World) -> None:
    http = fast_client(app)
    revoked = http.post("/oauth2/revoke", data={"token": world.token}, auth=world.machine.basic)
    assert revoked.status_code == 200
    answer = http.post("/oauth2/introspect", data={"token": world.token}, auth=world.machine.basic)
    assert answer.get_json() == {"active": False}


def test_a_disabled_client_gets_no_token_on_the_fast_path(app: Flask, world: World) -> None:
    from clients.services import disable_client, find_client

    registered = find_client(world.machine.client_id)
    assert registered is not None
    disable_client(registered)
    answer = fast_client(app).post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=world.machine.basic)
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("environ", [AS_SERVERS_CALL, {}], ids=["stream ended by the server", "Content-Length only"])
def test_the_fast_path_serves_whichever_way_the_server_ends_the_body(
    app: Flask, world: World, flask_requests: list[str], environ: dict[str, Any]
) -> None:
    http = fast_client(app)
    answer = http.post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=world.machine.basic, environ_overrides=environ)
    assert answer.status_code == 200 and flask_requests == []


def test_the_fast_path_echoes_a_sane_request_id(app: Flask, world: World) -> None:
    headers = {"X-Request-ID": "lb-trace-42", **basic(*world.machine.basic)}
    answer = fast_client(app).post("/oauth2/token", data=CLIENT_CREDENTIALS, headers=headers)
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "lb-trace-42"


# -- the access line and the metrics ---------------------------------------------------------------------
@pytest.fixture
def metered(database_url: str, keys_dir: Path, outbox: Path) -> Iterator[Flask]:
    """An app with request metrics on, as /metrics being switched on makes it."""
    app = create_app(make_test_config(database_url, keys_dir, outbox, METRICS_ENABLED=True))
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()  # its own pool: give its connections back now, not when collected


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("send", [fast_client, flask_client], ids=["fast path", "Flask"])
def test_both_paths_count_the_request_and_the_token_issued(metered: Flask, send: Callable[[Flask], Client]) -> None:
    rp = make_rp(grant_types=["client_credentials"], redirect_uris=[], scope=SCOPE)
    requests = {"endpoint": "oauth2.token", "method": "POST", "status": "200"}
    before = counted("logbook_http_requests_total", **requests)
    timed = counted("logbook_http_request_duration_seconds_count", endpoint="oauth2.token", status="200")
    issued = counted("logbook_tokens_issued_total", grant_type="client_credentials")
    assert send(metered).post("/oauth2/token", data=CLIENT_CREDENTIALS, auth=rp.basic).status_code == 200
    assert counted("logbook_http_requests_total", **requests) == before + 1
    assert counted("logbook_http_request_duration_seconds_count", endpoint="oauth2.token", status="200") == timed + 1
    assert counted("logbook_tokens_issued_total", grant_type="client_credentials") == issued + 1


def test_both_paths_write_the_same_access_line(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture, flask_requests: list[str]
) -> None:
    lines = []
    for send in (fast_client, flask_client):
        caplog.clear()
        with caplog.at_level("INFO", logger="logbook.access"):
            answer = send(app).post("/oauth2/introspect", data={"token": world.token}, auth=world.machine.basic)
        [record] = [record for record in caplog.records if record.name == "logbook.access"]
        assert record.request_id == answer.headers["X-Request-ID"]
        lines.append({name: getattr(record, name) for name in ("method", "path", "endpoint", "status")})
    assert flask_requests == ["flask"]
    assert (
        lines[0]
        == lines[1]
        == {"method": "POST", "path": "/oauth2/introspect", "endpoint": "oauth2.introspect", "status": 200}
    )
