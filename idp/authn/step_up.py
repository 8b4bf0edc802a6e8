"""Step-up: raising the level of the current session, or re-authenticating it when it is too old.

The plan for one step-up is a short list of steps kept in the Flask session with the session's ``sid``:
- the passkey level needs a passkey (user-verified, so it is a full sign-in on its own);
- the two-factor level needs the second factor, and the password first when the session is too old;
- the password level (reached only when too old) needs the password.
Re-authentication repeats the session's own level as well (``target`` is the stronger of the requested
and the current acr), so a stale two-factor session is never renewed by a password alone.

Cancelling returns to ``next`` with ``step_up=cancelled`` added to its query: the authorization endpoint
then answers ``unmet_authentication_requirements`` (OpenID Connect Core 1.0 errata / EAP ACR values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import jsonify, redirect, request, session, url_for

from idp.accounts.models import LoginSession
from idp.accounts.sessions import current_session, elevate_session
from idp.authn import services
from idp.authn.levels import ACR_PASSKEY, ACR_PASSWORD, ACR_TWO_FACTOR, acr_rank, level_for, meets, stronger
from idp.errors import DomainError
from idp.guards import safe_next_url

STATE_KEY = "authn_step_up"
CANCEL_PARAM = "step_up"
CANCEL_VALUE = "cancelled"

PASSWORD = "password"
SECOND_FACTOR = "second-factor"
PASSKEY = "passkey"


class BadStepUpRequest(DomainError):
    status_code = 400
    code = "invalid_request"


@dataclass
class Plan:
    sid: str
    next_url: str
    target: str
    steps: list[str]
    amr: list[str] = field(default_factory=list)
    acr: str | None = None  # the level actually reached so far (a passkey can exceed the target)


# -- for other areas ---------------------------------------------------------------------------------


def step_up_url(next_url: str, acr: str | None = None, max_age: int | None = None) -> str:
    """Where to send a browser whose session is too weak or too old for ``next_url``."""
    params: dict[str, Any] = {"next": next_url, "acr": acr, "max_age": max_age}
    return url_for("authn.step_up", **{key: value for key, value in params.items() if value is not None})


def cancelled_url(next_url: str) -> str:
    """``next_url`` with the cancel marker ``step_up=cancelled`` added to its query."""
    parts = urlsplit(next_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != CANCEL_PARAM]
    query.append((CANCEL_PARAM, CANCEL_VALUE))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def was_cancelled(args: Any) -> bool:
    """True when the person declined a step-up (``args`` is ``request.args`` of the ``next`` request)."""
    return args.get(CANCEL_PARAM) == CANCEL_VALUE


def require_fresh_strong_auth(view: Callable[..., Any]) -> Callable[..., Any]:
    """For sensitive account changes: a sign-in within ``FRESH_AUTH_MAX_AGE`` seconds with the strongest
    factor the person holds, else a step-up that comes back to this page (GET: the same URL; POST: the
    page's path, so put the decorator on the GET that shows the form too)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fresh_strong_auth_redirect() or view(*args, **kwargs)

    return wrapper


def fresh_strong_auth_redirect() -> Any:
    """None when the current session is fresh and strong enough for a sensitive change, else the answer
    that sends the person to step up (a redirect, or for a fetch() a JSON 403 naming the step-up URL)."""
    login = current_session()
    if login is None or services.strongest_factor_fresh(login):
        return None
    next_url = request.full_path.rstrip("?") if request.method == "GET" else request.path
    url = step_up_url(next_url, services.reachable_acr(login.user), services.fresh_auth_max_age())
    if request.is_json:  # a fetch() from a page: tell the script where to send the person
        message = "Confirm it is you before making this change."
        return jsonify(error="step_up_required", error_description=message, step_up=url), 403
    return redirect(url)


def own_data_redirect(acr: str | None, max_age: int | None) -> Any:
    """For a citizen's own sensitive pages (vault modules with a step-up policy): None when the session
    meets ``acr`` within ``max_age`` seconds, else a redirect to step up and come back (GET: the same URL;
    POST: the page's path).

    ``acr`` is capped at the strongest level the person can reach: a partner is refused a password-only
    token, but a citizen without a second factor is not locked out of their own records; they must still
    prove recently the strongest factor they hold."""
    login = current_session()
    if login is None:
        return None
    reachable = services.reachable_acr(login.user)
    needed = acr if meets(reachable, acr) else reachable
    if is_satisfied(login, needed, max_age):
        return None
    next_url = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(step_up_url(next_url, needed, max_age))


# -- the plan --------------------------------------------------------------------------------------


def parse_request(args: Any) -> tuple[str, str | None, int | None]:
    """(next, acr, max_age) from the query, refusing values that make no sense."""
    acr = args.get("acr") or None
    if acr is not None and (level_for(acr) is None or acr_rank(acr) == 0):
        raise BadStepUpRequest("The requested authentication level is not one this service offers.")
    max_age_text = args.get("max_age")
    max_age = None
    if max_age_text not in (None, ""):
        if not (str(max_age_text).isascii() and str(max_age_text).isdigit() and len(max_age_text) <= 9):
            raise BadStepUpRequest("max_age must be a whole number of seconds.")
        max_age = int(max_age_text)
    return safe_next_url(args.get("next")), acr, max_age


def is_satisfied(login: LoginSession, acr: str | None, max_age: int | None) -> bool:
    return meets(login.acr, acr) and services.is_fresh(login, max_age)


def target_for(login: LoginSession, acr: str | None) -> str:
    """The level to (re)authenticate at: the requested one, or the session's own if that is stronger
    and still reachable (a factor removed since sign-in does not hold the person to it)."""
    current = login.acr if meets(services.reachable_acr(login.user), login.acr) else ACR_PASSWORD.value
    return stronger(acr or ACR_PASSWORD.value, current) or ACR_PASSWORD.value


def is_reachable(login: LoginSession, target: str) -> bool:
    return meets(services.reachable_acr(login.user), target)


def steps_for(login: LoginSession, target: str, max_age: int | None) -> list[str]:
    if acr_rank(target) >= ACR_PASSKEY.rank:
        return [PASSKEY]
    stale = not services.is_fresh(login, max_age)
    steps = [PASSWORD] if stale else []
    if acr_rank(target) >= ACR_TWO_FACTOR.rank and (stale or acr_rank(login.acr) < ACR_TWO_FACTOR.rank):
        steps.append(SECOND_FACTOR)
    return steps or [PASSWORD]


def start(login: LoginSession, next_url: str, target: str, max_age: int | None) -> Plan:
    plan = Plan(sid=login.id, next_url=next_url, target=target, steps=steps_for(login, target, max_age))
    session[STATE_KEY] = asdict(plan)
    return plan


def current_plan() -> Plan | None:
    """The step-up in progress for this browser's current session, if any."""
    login = current_session()
    state = session.get(STATE_KEY)
    if login is None or not isinstance(state, dict) or state.get("sid") != login.id:
        return None
    try:
        return Plan(**state)
    except TypeError:
        return None


def next_step_url(plan: Plan) -> str:
    return url_for(
        {PASSWORD: "authn.step_up_password", SECOND_FACTOR: "authn.step_up_code", PASSKEY: "authn.step_up_passkey"}[
            plan.steps[0]
        ]
    )


def complete_step(plan: Plan, step: str, amr: list[str], acr: str | None = None) -> str:
    """Record one step done and return where to go: the next step's page, or, after the last, ``next``
    once the session is elevated (new token, new auth_time).

    A passkey satisfies a second-factor step and raises the level to ACR_PASSKEY."""
    if step == PASSKEY and SECOND_FACTOR in plan.steps:
        plan.steps.remove(SECOND_FACTOR)
    if step in plan.steps:
        plan.steps.remove(step)
    plan.amr = list(dict.fromkeys(plan.amr + amr))
    plan.acr = stronger(plan.acr, acr)
    if plan.steps:
        session[STATE_KEY] = asdict(plan)
        return next_step_url(plan)
    session.pop(STATE_KEY, None)
    login = current_session()
    if login is None or login.id != plan.sid:
        raise BadStepUpRequest("Your sign-in changed while you were confirming it. Start again.")
    elevate_session(login, stronger(plan.target, plan.acr) or plan.target, plan.amr)
    return plan.next_url
