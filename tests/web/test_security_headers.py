"""Security headers on every response."""

from flask.testing import FlaskClient


def test_pages_forbid_framing_and_sniffing(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_hsts_is_off_in_development_and_tests(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_readiness_reports_the_database(client: FlaskClient) -> None:
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def test_an_unknown_page_is_a_404_page_not_a_stack_trace(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"Page not found" in response.data
