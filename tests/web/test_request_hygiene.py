"""Request hygiene before any view (issue 2: never a 500): raw non-ASCII bytes on the request line's query
string (RFC 3986 allows only ASCII, but nothing stops a client sending them) are read as their
percent-encoded form; a NUL in a path variable is 404 (PostgreSQL refuses NUL in a text parameter)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


def _raw_query(raw: bytes) -> dict[str, str]:
    """WSGI passes the query string's bytes as latin-1 text, as a real server does."""
    return {"QUERY_STRING": raw.decode("latin-1")}


def test_invalid_utf8_bytes_on_a_signed_in_page_redirect_to_sign_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/account", environ_overrides=_raw_query(b"x=\xff\xfe"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")


def test_invalid_utf8_bytes_on_a_public_page_still_show_it(app: Flask, client: FlaskClient) -> None:
    assert client.get("/sign-in", environ_overrides=_raw_query(b"next=/\xff")).status_code == 200


def test_invalid_utf8_bytes_at_the_authorization_endpoint_are_invalid_request(app: Flask, client: FlaskClient) -> None:
    """RFC 6749 appendix B: parameters are UTF-8; the endpoint answers with the error page, no redirect."""
    response = client.get("/authorize", environ_overrides=_raw_query(b"client_id=\xff&response_type=code"))
    assert response.status_code == 400 and "<code>invalid_request</code>" in response.get_data(as_text=True)


def test_a_nul_in_a_path_variable_is_not_found(app: Flask, client: FlaskClient) -> None:
    for path in ("/api/v1/access-requests/%00", "/sharing/receipts/a%00b", "/admin/clients/%00/edit"):
        assert client.get(path).status_code == 404, path
