"""The Flask test client's shape over real HTTP, so that the suite's helpers (``tests.web_helpers``,
``tests.oauth.helpers``, ``tests.flows``) drive live servers unchanged.

    browser = requests.Session()                       # one cookie jar: the same browser on both hosts
    a, b = LiveClient(url_a, browser), LiveClient(url_b, browser)
    sign_in(a, email); assert b.get("/account").status_code == 200
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests


class LiveResponse:
    """A ``requests`` response answering as a ``werkzeug.test.TestResponse`` does."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def get_data(self, as_text: bool = False) -> str | bytes:
        return self.response.text if as_text else self.response.content

    def get_json(self) -> Any:
        is_json = self.response.headers.get("Content-Type", "").startswith("application/json")
        return self.response.json() if is_json else None


class LiveClient:
    """GET and POST against one server's base URL; redirects are not followed (as in the test client)."""

    def __init__(self, base_url: str, browser: requests.Session) -> None:
        self.base_url = base_url
        self.browser = browser

    def get(self, url: str, **kwargs: Any) -> LiveResponse:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> LiveResponse:
        return self._send("POST", url, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> LiveResponse:
        # Locations may be absolute (the issuer's origin): keep the path, ask this instance.
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return LiveResponse(self.browser.request(method, self.base_url + path, **kwargs))
