"""The authorization endpoint's own rules, as a list of small named checks (node-oidc-provider style).

Authlib has already checked the client, the redirect URI, the response type, the scope and PKCE. Each
check here looks at one thing and either passes (None), asks the browser to do something first (a
``Response``: sign in, step up, consent), or raises the one OAuth error that fits, sent back to the
client's redirect URI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import (
    InteractionRequiredError,
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from flask import current_app, redirect, session, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from clients.models import Client
from idp.accounts.models import LoginSession
from idp.authn.levels import AUTHENTICATION_LEVELS, acr_rank, meets
from idp.oauth2.id_tokens import verify_id_token_hint
from idp.oauth2.subjects import subject_for

PROMPTS = {"none", "login", "consent", "select_account"}
LOGIN_AFTER_KEY = "oauth2_login_after"


class UnmetAuthenticationRequirements(OAuth2Error):
    """OpenID Connect Core errata / EAP ACR Values: the requested acr could not be met."""

    error = "unmet_authentication_requirements"


class InvalidAuthorizationDetailsError(OAuth2Error):
    """RFC 9396 section 5: the AS "MUST refuse to process any unknown authorization details type or
    authorization details not conforming to the respective type definition"."""

    error = "invalid_authorization_details"


@dataclass
class AuthorizationRequest:
    client: Client
    params: dict[str, str]
    redirect_uri: str
    login: LoginSession | None
    url: str  # this request as a local URL, to come back to after signing in or stepping up
    scopes: frozenset[str] = frozenset()
    consent: Any = None  # what the consent engine still needs to ask, once known
    authorization_details: list[dict[str, Any]] | None = None  # RFC 9396, checked
    notes: dict[str, Any] = field(default_factory=dict)

    def live_grant(self) -> Any:
        """The signed-in citizen's live consent grant to this client (``consent.services.LiveGrant``) or
        None: read once per authorization request, though the consent check and the code both need it."""
        if "live_grant" not in self.notes:
            from consent.services import live_grant_summary

            # Asked only once the signed_in check has passed; no one signed in has no grant.
            login = self.login
            self.notes["live_grant"] = live_grant_summary(login.user_id, self.client.client_id) if login else None
        return self.notes["live_grant"]

    @property
    def prompts(self) -> set[str]:
        return set(self.params.get("prompt", "").split())

    def error(self, error_class: type[OAuth2Error], description: str | None = None) -> OAuth2Error:
        return error_class(description, redirect_uri=self.redirect_uri, state=self.params.get("state"))


Check = Callable[[AuthorizationRequest], Response | None]


def _url(endpoint: str, fallback: str, **params: Any) -> str:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    try:
        return url_for(endpoint) + "?" + query
    except BuildError:  # the other area's page is not there yet: keep to the agreed path
        return fallback + "?" + query


def _expect_new_login(request: AuthorizationRequest) -> None:
    session[LOGIN_AFTER_KEY] = {"at": int(time.time()), "url": request.url}


def _new_login_done(request: AuthorizationRequest, auth_time: int) -> bool:
    marker = session.get(LOGIN_AFTER_KEY)
    return isinstance(marker, dict) and marker.get("url") == request.url and auth_time >= marker.get("at", 2**62)


def sign_in_redirect(request: AuthorizationRequest) -> Response:
    _expect_new_login(request)
    target = _url("accounts.sign_in", "/sign-in", next=request.url, login_hint=request.params.get("login_hint"))
    return redirect(target)


def step_up_redirect(request: AuthorizationRequest, acr: str | None = None, max_age: int | None = None) -> Response:
    return redirect(_url("authn.step_up", "/sign-in/step-up", next=request.url, acr=acr, max_age=max_age))


# -- the checks, in order ------------------------------------------------------------------------------
def no_request_objects(request: AuthorizationRequest) -> None:
    """OIDC Core section 6: request objects are not supported (discovery says so)."""
    if "request" in request.params:
        raise request.error(RequestNotSupportedError)
    if "request_uri" in request.params:
        raise request.error(RequestURINotSupportedError)


def query_response_mode_only(request: AuthorizationRequest) -> None:
    """OAuth 2.0 Multiple Response Types: codes are returned in the query, nothing else is offered."""
    if request.params.get("response_mode", "query") != "query":
        raise request.error(InvalidRequestError, "Only response_mode=query is supported.")


def valid_prompt(request: AuthorizationRequest) -> None:
    """OIDC Core section 3.1.2.1: if prompt contains none with any other value, an error is returned."""
    prompts = request.prompts
    if not prompts <= PROMPTS:
        raise request.error(InvalidRequestError, "Unknown prompt value.")
    if "none" in prompts and len(prompts) > 1:
        raise request.error(InvalidRequestError, "prompt=none cannot be combined with other values.")


def valid_max_age(request: AuthorizationRequest) -> None:
    value = request.params.get("max_age")
    if value is not None and (not (value.isascii() and value.isdigit()) or len(value) > 9):  # not "٣"
        raise request.error(InvalidRequestError, "max_age must be a whole number of seconds.")


def valid_authorization_details(request: AuthorizationRequest) -> None:
    """RFC 9396 section 2: ``authorization_details`` is a JSON array; ``logbook_vault`` entries ask for
    vault modules, which join the requested scopes (the consent page and the grant treat them alike)."""
    from consent import authorization_details as details
    from consent.scopes import from_authorization_details

    raw = request.params.get("authorization_details")
    if raw is None:
        return
    try:
        parsed = details.parse(raw, request.client.allowed_modules or ())
    except details.InvalidAuthorizationDetails as error:
        raise request.error(InvalidAuthorizationDetailsError, str(error)) from error
    request.authorization_details = parsed
    request.scopes = request.scopes | from_authorization_details(parsed)


def valid_claims_request(request: AuthorizationRequest) -> None:
    """OIDC Core section 5.5 / OpenID Connect for Identity Assurance: a ``claims`` parameter asking for
    ``verified_claims`` must be well formed. It asks for the ``identity_assurance`` scope too (where the
    client may have it), so the consent page asks the citizen and the grant remembers the answer."""
    from idp.oauth2.claims_request import InvalidClaimsRequest, parse
    from idp.oauth2.id_tokens import VERIFIED_CLAIMS_SCOPE

    try:
        requests = parse(request.params.get("claims"))
    except InvalidClaimsRequest as error:
        raise request.error(InvalidRequestError, str(error)) from error
    if requests is None:
        return
    request.notes["claims_request"] = requests
    if request.client.get_allowed_scope(VERIFIED_CLAIMS_SCOPE):
        request.scopes = request.scopes | {VERIFIED_CLAIMS_SCOPE}


def step_up_not_cancelled(request: AuthorizationRequest) -> None:
    if request.params.get("step_up") == "cancelled":
        raise request.error(UnmetAuthenticationRequirements, "The person did not complete the stronger sign-in.")


def signed_in(request: AuthorizationRequest) -> Response | None:
    """OIDC Core section 3.1.2.3: authenticate the End-User, or login_required when prompt=none."""
    if request.login is not None:
        return None
    if "none" in request.prompts:
        raise request.error(LoginRequiredError)
    return sign_in_redirect(request)


def matches_id_token_hint(request: AuthorizationRequest) -> Response | None:
    """OIDC Core section 3.1.2.1: when the hinted End-User is not the one signed in, ask them to sign in."""
    hint = request.params.get("id_token_hint")
    if hint is None or request.login is None:
        return None
    claims = verify_id_token_hint(hint, request.client.client_id)
    if claims is None:
        raise request.error(InvalidRequestError, "id_token_hint is not an ID token we issued to this client.")
    if claims.get("sub") == subject_for(request.login.user_id, request.client):
        return None
    if "none" in request.prompts:
        raise request.error(LoginRequiredError, "A different person is signed in.")
    return sign_in_redirect(request)


def _effective_max_age(request: AuthorizationRequest) -> int | None:
    candidates = [int(request.params["max_age"])] if "max_age" in request.params else []
    if request.client.max_auth_age is not None:
        candidates.append(request.client.max_auth_age)
    return min(candidates) if candidates else None


def fresh_enough(request: AuthorizationRequest) -> Response | None:
    """prompt=login (and max_age=0) demand a new sign-in; max_age an authentication no older than asked."""
    login = request.login
    if login is None:  # runs after signed_in; never rely on an assert (python -O strips them)
        return signed_in(request)
    auth_time = int(login.auth_time.timestamp())
    max_age = _effective_max_age(request)
    wants_new_login = "login" in request.prompts or max_age == 0
    if wants_new_login:
        if _new_login_done(request, auth_time):
            return None
        if "none" in request.prompts:
            raise request.error(LoginRequiredError)
        _expect_new_login(request)
        return step_up_redirect(request, max_age=0)
    if max_age is not None and time.time() - auth_time > max_age:
        if "none" in request.prompts:
            raise request.error(LoginRequiredError, "The sign-in is older than max_age.")
        return step_up_redirect(request, max_age=max_age)
    return None


def required_acr(request: AuthorizationRequest) -> str | None:
    """The weakest level the client asked for in acr_values (any of them will do), or the client's
    registered minimum, whichever is stronger. Unknown values are ignored (they are voluntary)."""
    known = {level.value for level in AUTHENTICATION_LEVELS}
    asked = [value for value in request.params.get("acr_values", "").split() if value in known]
    candidates = [min(asked, key=acr_rank)] if asked else []
    if request.client.min_acr:
        candidates.append(request.client.min_acr)
    return max(candidates, key=acr_rank) if candidates else None


def strong_enough(request: AuthorizationRequest) -> Response | None:
    """DESIGN.md step-up: a session below the requested or required acr is raised first."""
    login = request.login
    if login is None:  # runs after signed_in; never rely on an assert (python -O strips them)
        return signed_in(request)
    target = required_acr(request)
    if meets(login.acr, target):
        return None
    if "none" in request.prompts:
        raise request.error(InteractionRequiredError, "A stronger sign-in is needed.")
    return step_up_redirect(request, acr=target)


def identity_known_well_enough(request: AuthorizationRequest) -> None:
    """Issue 5: a client's minimum identity level (e.g. verified in person by a council officer). Nothing
    the browser can do now raises it (it takes a visit to an officer), so the answer is access_denied
    with the reason, never a token for a less well-known person."""
    from idp.authn.levels import level_for
    from idp.officers.identity import identity_level

    required = level_for(request.client.min_identity_level or "")
    if required is None or request.login is None:
        return
    actual = level_for(identity_level(request.login.user_id))
    if actual is None or actual.rank < required.rank:
        raise request.error(AccessDeniedError, f"This service needs the person's identity {required.name.lower()}.")


def service_linked(request: AuthorizationRequest) -> Response | None:
    """Issue 5 service linking: a council service's own fact, proved once, before the code is issued."""
    from idp.linking import checks

    return checks.service_linked(request)


def consented(request: AuthorizationRequest) -> Response | None:
    """First-party council services skip consent for sign-in scopes; others see what is still missing."""
    from idp.oauth2 import consent_step

    return consent_step.check(request)


CHECKS: list[Check] = [
    no_request_objects,
    query_response_mode_only,
    valid_prompt,
    valid_claims_request,
    valid_max_age,
    valid_authorization_details,
    step_up_not_cancelled,
    signed_in,
    matches_id_token_hint,
    fresh_enough,
    strong_enough,
    identity_known_well_enough,
    service_linked,
    consented,
]


def run_checks(request: AuthorizationRequest) -> Response | None:
    for check in CHECKS:
        outcome = check(request)
        if outcome is not None:
            return outcome
    if LOGIN_AFTER_KEY in session:  # popping an absent key would still re-sign and re-send the cookie
        session.pop(LOGIN_AFTER_KEY)
    return None


def issuer() -> str:
    return str(current_app.config["ISSUER"])
