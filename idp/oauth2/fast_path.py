"""The two machine-to-machine requests answered before werkzeug and Flask: client-credentials token issue
(``POST /oauth2/token``) and introspection (``POST /oauth2/introspect``) with a shared-secret client.

Under load each of them paid ~1 ms of CPU for werkzeug's request object, Flask's request context and its
hooks, around ~0.5 ms of work (docs/benchmarks.md). This WSGI middleware sits directly around Flask's own
``wsgi_app`` (inside ``ProxyFix`` and the query-string hygiene) and answers them from the WSGI environ,
in an app context only, with the same service functions as the Flask views:

- the same request checks (``params.check_form_body``: UTF-8, repeated or oversized parameters, one
  client authentication method, Basic credentials that decode), on a form parsed as werkzeug parses it;
- the same client authentication (``client_auth``: one select, the HMAC digest compare) and rules
  (``client_credentials.issue``, ``introspection.introspect``), so the same token contents and the same
  token-issued metric;
- the same answers: Authlib's JSON bodies and errors (RFC 6749 section 5.2, with ``WWW-Authenticate`` on a
  401), ``Cache-Control: no-store`` and ``Pragma: no-cache``, the app's security headers, an
  ``X-Request-ID``, the JSON access line and the request metrics.

Anything else goes to Flask untouched: another path or method, a query string, a body that is not a form,
has no length or exceeds ``MAX_CONTENT_LENGTH`` (Flask's 413), a body that is not UTF-8, a client
assertion (``private_key_jwt``, Authlib's), another grant type, and any unexpected error (Flask answers,
and logs, it: neither request writes anything, so answering again is safe). These two endpoints carry no
rate limit today (``idp.extensions.ViewLimiter`` limits sign-in and friends); a limit added to their views
must be added here too, which ``tests/oauth/test_fast_path.py`` checks. ``LOGBOOK_TOKEN_FAST_PATH=0``
switches this off.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Flask, current_app, g, has_app_context
from werkzeug.datastructures import MultiDict
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header

from idp import observability
from idp.oauth2 import client_credentials, introspection, params
from idp.oauth2.server import authorization_server

log = logging.getLogger(__name__)
Answer = tuple[int, dict[str, Any], list[tuple[str, str]]]
Handler = tuple[str, Callable[[Any], bool], Callable[[Any, Any], dict[str, Any]]]

# path -> (Flask endpoint name for logs and metrics, which forms it takes, its answer)
ROUTES: dict[str, Handler] = {
    "/oauth2/token": ("oauth2.token", client_credentials.handles_form, client_credentials.issue),
    "/oauth2/introspect": ("oauth2.introspect", introspection.handles_form, introspection.introspect),
}


class MachineEndpoints:
    """WSGI middleware: the fast path for ``ROUTES``, Flask (``wsgi_app``) for everything else."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.flask = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = ROUTES.get(environ.get("PATH_INFO", ""))
        if route is None or environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING"):
            return self.wsgi_app(environ, start_response)
        body = _form_body(environ, self.flask.config["MAX_CONTENT_LENGTH"])
        if body is None:
            return self.wsgi_app(environ, start_response)
        answered = self._answer(route, environ, body)
        if answered is None:
            environ["wsgi.input"] = io.BytesIO(body)  # Flask reads the same body again
            return self.wsgi_app(environ, start_response)
        status, headers, payload = answered
        start_response(status, headers)
        return [payload]

    def _answer(self, route: Handler, environ: dict[str, Any], body: bytes) -> tuple[str, list, bytes] | None:
        started = time.perf_counter()
        # As Flask does for a request: the app context already pushed for this app (tests) or a new one.
        reuse = has_app_context() and current_app._get_current_object() is self.flask  # type: ignore[attr-defined]
        context = None if reuse else self.flask.app_context()
        if context is not None:
            context.push()
        try:
            g.request_id = observability.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
            answer = _run(route, environ, body)
            return None if answer is None else self._respond(route[0], answer, started)
        except Exception:  # noqa: BLE001 - Flask answers it (and logs it) as it answers any other error
            log.warning("the token endpoints' fast path failed; Flask answers the request", exc_info=True)
            return None
        finally:
            if context is not None:
                context.pop()
            else:
                g.pop("request_id", None)

    def _respond(self, endpoint: str, answer: Answer, started: float) -> tuple[str, list, bytes]:
        code, body, answer_headers = answer
        payload = json.dumps(body).encode()  # as Authlib's Flask integration writes it
        headers = [*answer_headers, ("Content-Length", str(len(payload)))]
        nonce = secrets.token_urlsafe(16)  # the same headers as a Flask answer, nonce included
        headers += _security_headers(nonce, self.flask.config["HSTS"])
        headers.append((observability.REQUEST_ID_HEADER, g.request_id))
        seconds = time.perf_counter() - started
        finished = observability.Finished("POST", _path_of(endpoint), endpoint, code, seconds, g.request_id)
        config = self.flask.config
        log_access, record_metrics = bool(config.get("ACCESS_LOG", True)), bool(config.get("METRICS_ENABLED"))
        observability.record_request(finished, log_access, record_metrics)
        return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}", headers, payload


def _security_headers(nonce: str, hsts: bool) -> list[tuple[str, str]]:
    from idp.app import security_headers

    return security_headers(nonce, hsts)


def _path_of(endpoint: str) -> str:
    return next(path for path, route in ROUTES.items() if route[0] == endpoint)


def _form_body(environ: dict[str, Any], limit: int | None) -> bytes | None:
    """The body of a form with a Content-Length within the limit, read; else None, and nothing read. (A
    server that sets ``wsgi.input_terminated``, as gunicorn and granian do, ends the stream at that length
    too; a chunked body has no length and goes to Flask.)"""
    mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower()
    if mimetype != params.FORM_TYPE or environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if length < 0 or (limit is not None and length > limit):
        return None
    return environ["wsgi.input"].read(length) if length else b""


def _run(route: Handler, environ: dict[str, Any], body: bytes) -> Answer | None:
    """The answer, or None when Flask should answer (a form this path does not take, a body not UTF-8)."""
    _, takes, answer = route
    try:  # as werkzeug's form parser reads an urlencoded body
        form = MultiDict(parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote"))
    except ValueError:
        return None
    if not takes(form):
        return None
    headers = {"Authorization": environ.get("HTTP_AUTHORIZATION")}
    try:
        params.check_form_body(body, dict(form.lists()), form, headers["Authorization"])
        return 200, answer(headers, form), list(default_json_headers)
    except OAuth2Error as error:
        return error(authorization_server().get_error_uri(None, error))  # type: ignore[no-any-return]
