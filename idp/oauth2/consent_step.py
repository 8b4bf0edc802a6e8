"""The consent page inside the authorization endpoint (first version; the consent area owns wording).

The decision is bound to one authorization request: the request's parameters are kept server-side in
the signed session under a random id, with the sign-in session's ``sid`` and a short expiry. The POST
names only that id and the ticked scopes, so it cannot be replayed for another client or scope.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from flask import current_app, redirect, render_template, session, url_for
from flask import request as http_request
from werkzeug.wrappers import Response

from consent import services as consent
from consent.scopes import requested_days
from idp.forms import choices
from idp.oauth2.authorize import AuthorizationRequest, signed_in
from idp.oauth2.forms import ConsentForm

PENDING_KEY = "oauth2_pending_consent"
PENDING_LIFETIME = 600
MAX_PENDING = 5


class ConsentRequestGone(Exception):
    """The consent form refers to no live authorization request of this browser and session."""


def check(request: AuthorizationRequest) -> Response | None:
    from authlib.oidc.core.errors import ConsentRequiredError

    if request.login is None:  # runs after signed_in; never rely on an assert (python -O strips them)
        return signed_in(request)
    user = request.login.user
    details = request.authorization_details
    prompt = consent.missing_consent(user, request.client, request.scopes, details, grant=request.live_grant())
    if "consent" in request.prompts and prompt is None:
        prompt = _ask_again(request)
    if prompt is None:
        return None
    if "none" in request.prompts:
        raise request.error(ConsentRequiredError)
    return _render(request, prompt)


def _ask_again(request: AuthorizationRequest) -> Any:
    """prompt=consent: ask about everything requested, even what was decided before."""
    asked = consent.requested_scopes(request.scopes, request.authorization_details, request.client)
    if request.client.first_party:
        asked -= consent.IDENTITY_SCOPES
    if not asked:
        return None
    grant = request.live_grant()
    return consent.ConsentPrompt(
        client_id=request.client.client_id,
        missing=frozenset(asked),
        already_granted=grant.granted if grant else frozenset(),
        purpose=request.client.purpose or "",
        proposed_days=consent.proposed_duration(request.client, requested_days(request.authorization_details)),
    )


def _render(request: AuthorizationRequest, prompt: Any) -> Response:
    request_id = _remember(request, prompt)
    form = ConsentForm(request_id=request_id)
    form.scopes.choices = choices((scope, _label(scope)) for scope in sorted(prompt.missing) if scope != "openid")
    form.scopes.data = [choice.value for choice in form.scopes.iter_choices()]
    from idp.oauth2.claims_request import purposes

    claim_purposes = purposes(request.notes.get("claims_request"))  # IDA: shown beside the identity check
    grant = request.live_grant() if request.login else None
    body = render_template(
        "oauth2/consent.html",
        form=form,
        client=request.client,
        prompt=prompt,
        claim_purposes=claim_purposes,
        step_up=bool(grant and grant.asks_for_step_up),  # the citizen's earlier answer, shown ticked
    )
    return current_app.make_response((body, 200))


def _label(scope: str) -> str:
    from consent.labels import scope_label

    return scope_label(scope)


def _remember(request: AuthorizationRequest, prompt: Any) -> str:
    now = int(time.time())
    pending = {key: value for key, value in session.get(PENDING_KEY, {}).items() if value["exp"] > now}
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    request_id = secrets.token_urlsafe(16)
    pending[request_id] = {
        "params": request.params,
        "client_id": request.client.client_id,
        "redirect_uri": request.redirect_uri,
        "missing": sorted(prompt.missing),
        "proposed_days": prompt.proposed_days,  # the client may have proposed it in authorization_details
        "sid": request.login.id if request.login else None,
        "exp": now + PENDING_LIFETIME,
    }
    session[PENDING_KEY] = pending
    return request_id


def take_pending(request_id: str, sid: str) -> dict[str, Any]:
    """The remembered request, once: it must belong to this sign-in session and not have expired."""
    pending = dict(session.get(PENDING_KEY, {}))
    entry = pending.pop(request_id, None) if isinstance(request_id, str) else None
    session[PENDING_KEY] = pending
    if entry is None or entry["sid"] != sid or entry["exp"] <= int(time.time()):
        raise ConsentRequestGone()
    return entry  # type: ignore[no-any-return]


def decide(user: Any, client: Any, entry: dict[str, Any], allow: bool, ticked: list[str]) -> Response:
    """Deny: access_denied to the client. Allow: record the decision, then resume the authorization."""
    params = dict(entry["params"])
    if not allow:
        return _access_denied(entry["redirect_uri"], params.get("state"))
    missing = frozenset(entry["missing"])
    accepted = (set(ticked) & missing) | ({"openid"} & missing)
    prompt = consent.ConsentPrompt(
        client_id=client.client_id,
        missing=missing,
        already_granted=frozenset(),
        purpose=client.purpose or "",
        proposed_days=entry.get("proposed_days") or consent.proposed_duration(client),
    )
    days = consent.chosen_duration(http_request.form.get("duration"), prompt.proposed_days)
    # The page offers "a second factor each time" only beside vault modules; elsewhere the grant keeps its answer.
    step_up = http_request.form.get("step_up") == "yes" if prompt.modules else None
    consent.record_consent(user, client, prompt.decide(accepted, days, step_up))
    prompts = [value for value in params.get("prompt", "").split() if value != "consent"]
    params["prompt"] = " ".join(prompts)
    return redirect(url_for("oauth2.authorize") + "?" + urlencode({k: v for k, v in params.items() if v}))


def _access_denied(redirect_uri: str, state: str | None) -> Response:
    from authlib.common.urls import add_params_to_uri

    params = [("error", "access_denied"), ("error_description", "The person declined.")]
    if state:
        params.append(("state", state))
    params.append(("iss", current_app.config["ISSUER"]))
    return redirect(add_params_to_uri(redirect_uri, params))
