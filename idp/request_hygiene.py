"""Request hygiene for every endpoint, before any view reads the request.

Raw bytes in a query string are percent-encoded before the app sees them.
RFC 3986 section 2.1 allows only ASCII in a URI, but a client can send any byte on the request line, and
the WSGI server passes them on (as latin-1 text). Werkzeug decodes ``request.args`` and
``request.full_path`` strictly as UTF-8, so a stray ``\\xff`` would raise in whatever code first reads the
query: a 500, even from the error page. Percent-encoding each non-ASCII byte makes the request the one a
browser would have sent: pages read it leniently, and the protocol endpoints' strict UTF-8 check
(``idp.oauth2.params``) still refuses invalid UTF-8 with ``invalid_request``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, abort


class PercentEncodeQueryBytes:
    """WSGI middleware: ``QUERY_STRING`` with every byte above 0x7F written as ``%XX``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():  # the common case costs one C-level check
            environ["QUERY_STRING"] = "".join(char if char.isascii() else f"%{ord(char):02X}" for char in query)
        return self.app(environ, start_response)


def refuse_nul_in_paths(app: Flask) -> None:
    """A path variable holding a NUL character names nothing we store, and PostgreSQL refuses NUL in a text
    parameter (a DataError, so a 500) wherever the id is looked up: answer 404 before any view runs."""

    @app.url_value_preprocessor
    def _refuse_nul(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and any(isinstance(value, str) and "\x00" in value for value in values.values()):
            abort(404)
