"""OpenID Connect Back-Channel Logout 1.0: signing out at the provider tells every client of the session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oauth2.backchannel import LOGOUT_EVENT
from tests.flows import run_code_flow
from tests.oauth.helpers import make_rp
from tests.web_helpers import post_form


class _Receiver(BaseHTTPRequestHandler):
    tokens: list[str] = []

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        body = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        _Receiver.tokens.extend(body.get("logout_token", []))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.tokens = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel-logout"
    server.shutdown()
    server.server_close()


def _decoded(client: FlaskClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = KeySet.import_key_set(client.get("/jwks.json").get_json())
    decoded = jwt.decode(token, keys)
    return dict(decoded.header), dict(decoded.claims)


def test_rp_initiated_logout_posts_a_logout_token_to_the_client(client: FlaskClient, receiver: str) -> None:
    """Section 2.4: iss, aud, iat, jti, events with the back-channel logout member, sid and sub; no nonce;
    section 2.5: POSTed to the client's backchannel_logout_uri."""
    rp, tokens = run_code_flow(client, backchannel_logout_uri=receiver)
    id_claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(client.get("/jwks.json").get_json())).claims
    client.get("/logout", query_string={"id_token_hint": tokens["id_token"], "client_id": rp.client_id})
    assert len(_Receiver.tokens) == 1
    header, claims = _decoded(client, _Receiver.tokens[0])
    assert header["typ"] == "logout+jwt"
    assert claims["events"] == {LOGOUT_EVENT: {}}
    assert (claims["aud"], claims["sub"], claims["sid"]) == (rp.client_id, id_claims["sub"], id_claims["sid"])
    assert claims["iss"] == id_claims["iss"] and claims["jti"] and "nonce" not in claims


def test_every_client_of_the_session_is_told_but_not_clients_of_other_sessions(
    app: Flask, client: FlaskClient, receiver: str
) -> None:
    run_code_flow(client, backchannel_logout_uri=receiver)
    other_browser = app.test_client()  # another person's sign-in session
    second = make_rp(organisation_type="council_service", scope="openid", backchannel_logout_uri=receiver)
    run_code_flow(other_browser, scope="openid", rp=second, email="other@example.org")
    make_rp(organisation_type="council_service", backchannel_logout_uri=receiver)  # never used
    post_form(other_browser, "/logout/confirm", {}, page_url=f"/logout?client_id={second.client_id}")
    audiences = [_decoded(client, token)[1]["aud"] for token in _Receiver.tokens]
    assert audiences == [second.client_id]


def test_signing_out_of_logbook_itself_tells_the_clients(client: FlaskClient, receiver: str) -> None:
    rp, _ = run_code_flow(client, backchannel_logout_uri=receiver)
    post_form(client, "/sign-out", {})
    assert [_decoded(client, token)[1]["aud"] for token in _Receiver.tokens] == [rp.client_id]


def test_a_client_that_does_not_answer_does_not_stop_the_sign_out(client: FlaskClient) -> None:
    rp, tokens = run_code_flow(client, backchannel_logout_uri="http://127.0.0.1:9/nothing-listens")
    response = client.get("/logout", query_string={"id_token_hint": tokens["id_token"], "client_id": rp.client_id})
    assert response.status_code == 200
    assert client.get("/account").status_code == 302


def test_discovery_advertises_back_channel_logout_with_sessions(client: FlaskClient) -> None:
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True
