"""Staff pages need a strong sign-in: a second factor or passkey used within ``STAFF_AUTH_MAX_AGE`` seconds
(default one hour). Staff can look up citizens, register services and change roles, so a stolen password
alone must not open the console. Anyone short of that is sent to step-up (``idp.authn.step_up``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, url_for

from idp.accounts.models import LoginSession
from idp.authn import services
from idp.authn.levels import ACR_TWO_FACTOR, meets
from idp.authn.step_up import step_up_url

DEFAULT_STAFF_AUTH_MAX_AGE = 3600


def staff_auth_max_age() -> int:
    return int(current_app.config.get("STAFF_AUTH_MAX_AGE", DEFAULT_STAFF_AUTH_MAX_AGE))


def is_strong_enough(login: LoginSession) -> bool:
    return meets(login.acr, ACR_TWO_FACTOR.value) and services.is_fresh(login, staff_auth_max_age())


def step_up_redirect(login: LoginSession, home_endpoint: str) -> Any:
    """None when ``login`` may use staff pages, else a redirect to step-up that comes back here (a GET) or to
    the console's home (a form post cannot be replayed after step-up)."""
    if is_strong_enough(login):
        return None
    back = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else url_for(home_endpoint)
    return redirect(step_up_url(back, ACR_TWO_FACTOR.value, staff_auth_max_age()))
