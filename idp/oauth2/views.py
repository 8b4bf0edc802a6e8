"""Protocol endpoints (thin): each checks its input, hands the work to Authlib or a service, and answers.

``oauth2`` holds what relying parties call (no CSRF: they authenticate as the protocol says);
``oauth2_consent`` holds the forms a signed-in person submits (CSRF on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.consts import default_json_headers as JSON_NO_STORE
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import (
    Blueprint,
    Request,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from clients.models import Client
from idp.accounts.sessions import current_session, end_current_session
from idp.extensions import csrf
from idp.oauth2 import client_credentials, consent_step, discovery, introspection, params
from idp.oauth2.access_tokens import InvalidAccessToken, keyring, verify_access_token
from idp.oauth2.authorize import AuthorizationRequest, run_checks, signed_in
from idp.oauth2.codes import CodeContext
from idp.oauth2.forms import ConsentForm, LogoutForm
from idp.oauth2.grants import AuthorizedUser
from idp.oauth2.id_tokens import verify_id_token_hint
from idp.oauth2.jose import UnacceptableJWT, unverified_claims, unverified_header
from idp.oauth2.server import authorization_server, query_client
from idp.oauth2.subjects import subject_for
from idp.oauth2.userinfo import userinfo_claims

bp = Blueprint("oauth2", __name__)
consent_bp = Blueprint("oauth2_consent", __name__)
csrf.exempt(bp)
LOGOUT_KEY = "oauth2_logout_to"


@bp.after_request
def no_store(response: Response) -> Response:
    """RFC 6749 section 5.1: token responses carry Cache-Control: no-store and Pragma: no-cache."""
    if request.endpoint not in ("oauth2.discovery", "oauth2.jwks"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _json_error(error: OAuth2Error) -> Response:
    return authorization_server().handle_error_response(None, error)  # type: ignore[no-any-return]


# -- discovery and keys -----------------------------------------------------------------------------
@bp.get("/.well-known/openid-configuration", endpoint="discovery")
def openid_configuration() -> Response:
    response = jsonify(discovery.metadata())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/jwks.json", endpoint="jwks")
def jwks() -> Response:
    response = jsonify(keyring().public_jwks)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# -- authorization endpoint -------------------------------------------------------------------------
def _error_page(error: OAuth2Error) -> tuple[str, int]:
    return render_template("oauth2/error.html", error=error.error, description=error.description), 400


def authorization_error(error: OAuth2Error) -> Any:
    """RFC 6749 section 4.1.2.1: redirect only to a verified redirect URI; RFC 9207: with our iss."""
    if not error.redirect_uri:
        return _error_page(error)
    _, _, headers = error()
    location = add_params_to_uri(dict(headers)["Location"], [("iss", current_app.config["ISSUER"])])
    return redirect(location)


@bp.route("/authorize", methods=["GET", "POST"], endpoint="authorize")
def authorize() -> Any:
    try:
        params.check_form_request() if request.method == "POST" else params.check_query_request()
    except OAuth2Error as error:
        return _error_page(error)
    server = authorization_server()
    login = current_session()
    try:
        grant = server.get_consent_grant(end_user=login.user if login else None)
        authorization = _authorization_request(grant, login)
        outcome = run_checks(authorization)
    except OAuth2Error as error:
        return authorization_error(error)
    return outcome or _issue_code(server, grant, authorization)


def _authorization_request(grant: Any, login: Any) -> AuthorizationRequest:
    values = params.first_values()
    return AuthorizationRequest(
        client=grant.client,
        params=values,
        redirect_uri=grant.redirect_uri,
        login=login,
        url=url_for("oauth2.authorize") + "?" + urlencode(values),
        scopes=frozenset((grant.request.scope or "").split()),
    )


def _issue_code(server: Any, grant: Any, authorization: AuthorizationRequest) -> Any:
    from consent import services as consent

    login = authorization.login
    if login is None:  # the signed_in check ran first; never a code without a session, even under python -O
        return _sign_in_first(authorization)
    user = login.user
    live = authorization.live_grant()
    allowed = consent.effective_scopes(user, authorization.client, authorization.scopes, grant=live)
    context = CodeContext(
        user_id=user.id,
        auth_time=int(login.auth_time.timestamp()),
        acr=login.acr,
        amr=login.amr_list,
        sid=login.id,
        nonce=authorization.params.get("nonce"),
        claims=authorization.notes.get("claims_request"),
        grant_id=live.id if live else None,
        scope=" ".join(sorted(allowed & authorization.scopes)),
    )
    return server.create_authorization_response(grant=grant, grant_user=AuthorizedUser(user, context))


def _sign_in_first(authorization: AuthorizationRequest) -> Any:
    """What the authorization endpoint answers anyone not signed in: sign in, or login_required."""
    try:
        return signed_in(authorization)
    except OAuth2Error as error:
        return authorization_error(error)


@consent_bp.post("/authorize/consent", endpoint="decide")
def decide() -> Any:
    form = ConsentForm()
    login = current_session()
    if not form.validate_on_submit() or login is None:
        return _error_page(OAuth2Error("invalid_request", "The consent form expired. Start again from the service."))
    try:
        entry = consent_step.take_pending(form.request_id.data or "", login.id)
    except consent_step.ConsentRequestGone:
        return _error_page(OAuth2Error("invalid_request", "The consent form expired. Start again from the service."))
    client = query_client(entry["client_id"])
    if client is None:
        return _error_page(OAuth2Error("invalid_client", "The service is no longer registered."))
    allow = request.form.get("decision") == "allow"
    return consent_step.decide(login.user, client, entry, allow, form.scopes.data or [])


# -- token, revocation, introspection --------------------------------------------------------------
Lean = tuple[Callable[[Request], bool], Callable[[Request], dict[str, Any]]]


def _form_endpoint(run: Any, lean: Lean | None = None) -> Any:
    """Checks the form first (it reads the raw body), then answers. The busiest requests (``lean``: which
    it handles, and its answer) skip Authlib's request machinery and answer as Authlib would."""
    try:
        params.check_form_request()
        if lean is not None and lean[0](request):
            return authorization_server().handle_response(200, lean[1](request), JSON_NO_STORE)
    except OAuth2Error as error:
        return _json_error(error)
    return run()


@bp.post("/oauth2/token", endpoint="token")
def token() -> Any:
    lean = (client_credentials.handles, client_credentials.token_response)
    return _form_endpoint(authorization_server().create_token_response, lean)


@bp.post("/oauth2/revoke", endpoint="revoke")
def revoke() -> Any:
    return _form_endpoint(lambda: authorization_server().create_endpoint_response("revocation"))


@bp.post("/oauth2/introspect", endpoint="introspect")
def introspect() -> Any:
    lean = (introspection.handles, introspection.introspection_response)
    return _form_endpoint(lambda: authorization_server().create_endpoint_response("introspection"), lean)


# -- userinfo --------------------------------------------------------------------------------------
def _bearer_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    return response


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    if request.method == "POST" and request.mimetype == params.FORM_TYPE:
        return request.form.get("access_token")
    return None


@bp.route("/userinfo", methods=["GET", "POST"], endpoint="userinfo")
def userinfo() -> Response:
    """OIDC Core section 5.3: claims about the End-User for a valid access token with scope openid."""
    token = _bearer_token()
    if not token:
        response = _bearer_error(401, "invalid_token", "An access token is required.")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    try:
        claims = verify_access_token(token, current_app.config["ISSUER"])
    except InvalidAccessToken:
        return _bearer_error(401, "invalid_token", "The access token is not valid.")
    answer = userinfo_claims(claims)
    if answer is None:
        return _bearer_error(403, "insufficient_scope", "The token does not allow this.")
    return jsonify(answer)


# -- RP-initiated logout ---------------------------------------------------------------------------
class LogoutRefused(Exception):
    pass


def _logout_client(values: dict[str, str]) -> tuple[Client | None, dict[str, Any] | None]:
    """OIDC RP-Initiated Logout section 2: the client from client_id and/or id_token_hint, consistent."""
    client = query_client(values["client_id"]) if "client_id" in values else None
    hint = values.get("id_token_hint")
    if hint is None:
        if "client_id" in values and client is None:
            raise LogoutRefused()
        return client, None
    try:
        unverified_header(hint)
        audience = unverified_claims(hint).get("aud")
    except UnacceptableJWT as error:
        raise LogoutRefused() from error
    audience = audience[0] if isinstance(audience, list) and audience else audience
    hinted_client = query_client(audience) if isinstance(audience, str) else None
    claims = verify_id_token_hint(hint, hinted_client.client_id) if hinted_client else None
    if hinted_client is None or claims is None or (client is not None and client.client_id != hinted_client.client_id):
        raise LogoutRefused()
    return hinted_client, claims


def _logout_destination(client: Client | None, values: dict[str, str]) -> str | None:
    uri = values.get("post_logout_redirect_uri")
    if uri is None:
        return None
    if client is None or uri not in client.post_logout_redirect_uris:
        raise LogoutRefused()
    return add_params_to_uri(uri, [("state", values["state"])]) if values.get("state") else uri


def _signed_out(destination: str | None) -> Any:
    end_current_session()  # revokes the session's tokens and sends OIDC Back-Channel Logout
    return redirect(destination) if destination else render_template("oauth2/signed_out.html")


@bp.route("/logout", methods=["GET", "POST"], endpoint="end_session")
def end_session() -> Any:
    try:
        params.check_form_request() if request.method == "POST" else params.check_query_request()
        values = params.first_values()
        client, hinted = _logout_client(values)
        destination = _logout_destination(client, values)
    except (OAuth2Error, LogoutRefused):
        message = "The service asked to sign you out in a way we cannot accept."
        return _error_page(OAuth2Error("invalid_request", message))
    login = current_session()
    if login is None:
        return _signed_out(destination)
    if hinted is not None and client is not None and hinted.get("sub") == subject_for(login.user_id, client):
        return _signed_out(destination)
    session[LOGOUT_KEY] = destination
    return render_template("oauth2/logout.html", form=LogoutForm(), client=client)


@consent_bp.post("/logout/confirm", endpoint="logout_confirm")
def logout_confirm() -> Any:
    form = LogoutForm()
    if not form.validate_on_submit():
        return _error_page(OAuth2Error("invalid_request", "The form expired. Try signing out again."))
    return _signed_out(session.pop(LOGOUT_KEY, None))


@bp.record_once
def _wire_authorization_server(state: Any) -> None:
    from idp.oauth2.server import create_server

    create_server(state.app)
