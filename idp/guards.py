"""Access guards. Every blueprint is registered with exactly one (see ``idp.app``), and a test fails if
an endpoint is reachable without one."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import abort, current_app, redirect, request, url_for

from idp.accounts.sessions import current_session

if TYPE_CHECKING:
    from idp.accounts.models import User

Guard = Callable[[], Any]


def public() -> None:
    """Anyone may call these endpoints (start page, sign-in, discovery, health)."""


def protocol() -> None:
    """OAuth 2.0 / OIDC endpoints: each authenticates its caller as the protocol says (client
    authentication, bearer token, or the browser session inside the authorization endpoint)."""


def bearer_token() -> None:
    """Resource-server APIs: the view verifies the bearer access token on every call."""


def signed_in() -> Any:
    """A citizen's own pages: the browser must hold a live sign-in session."""
    if current_session() is None:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("accounts.sign_in") + "?" + urlencode({"next": request.full_path}))
        abort(401)
    return None


def guarded_user() -> User:
    """The signed-in account, for views behind ``signed_in`` or ``requires_role``. The guard has run, so no one
    signed in here means a view reached without its guard: answer as the guard would (sign-in page for a page,
    401 otherwise) rather than trust an ``assert``, which ``python -O`` removes."""
    login = current_session()
    if login is None:
        abort(signed_in() or 401)
    return login.user


def requires_role(role: str) -> Guard:
    """Staff pages: a live sign-in session whose account holds ``role`` (officer, client_admin,
    auditor, role_admin); any other signed-in account gets 403. Staff themselves must have used a second
    factor or passkey recently, else they are sent to step-up (``idp.officers.staff_auth``)."""

    def guard() -> Any:
        refused = signed_in()
        if refused is not None:
            return refused
        from idp.officers import navigation, staff_auth
        from idp.officers.roles import has_role

        login = current_session()
        if login is None or not has_role(login.user, role):
            abort(403)
        return staff_auth.step_up_redirect(login, navigation.home_endpoint(role))

    guard.__name__ = f"requires_role({role})"
    return guard


def metrics_token() -> Any:
    """Operators' scrape endpoint: absent (404) unless LOGBOOK_METRICS is on; when a token is configured
    the scraper must present it as a bearer token."""
    if not current_app.config.get("METRICS_ENABLED"):
        abort(404)
    expected = current_app.config.get("METRICS_TOKEN")
    presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if expected and not hmac.compare_digest(presented.encode(), str(expected).encode()):
        return current_app.response_class(
            "unauthorized\n", status=401, mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    return None


def safe_next_url(candidate: str | None, default: str = "/") -> str:
    """Only local paths are followed after sign-in: no open redirects."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    return candidate
