"""What the four example relying parties share: settings from the environment, OpenID Connect through
Authlib's Flask client (code flow, PKCE S256, state, nonce, ID token checked against the JWKS),
RP-initiated logout and the back-channel logout receiver (``backchannel.py``), calls to Logbook's APIs,
and one accessible page layout.

Settings come from ``settings.py`` (environment, or the file ``logbook demo seed`` writes).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, render_template_string, request, session, url_for
from joserfc.errors import JoseError

from clients.examples import backchannel
from clients.examples.settings import Settings

HTTP_TIMEOUT = 10


LAYOUT = """<!DOCTYPE html>
<html lang="en-GB" class="govuk-template"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – {{ rp.name }}</title>
<link rel="stylesheet" href="{{ rp.settings.issuer }}/static/build/logbook.css"></head>
<body class="govuk-template__body">
<header class="govuk-header"><div class="govuk-header__container govuk-width-container">
<a href="/" class="govuk-header__link govuk-header__service-name">{{ rp.name }}</a></div></header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">{{ title }}</h1>
{% if user %}<p class="govuk-body">Signed in as {{ user.name or "a Logbook user" }}.</p>{% endif %}
{{ body|safe }}
{% if user %}<form method="post" action="/sign-out"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="govuk-button govuk-button--secondary" type="submit">Sign out</button></form>{% endif %}
</main></div></body></html>"""


class RelyingParty:
    """One example service: a Flask app signed in through Logbook, with a server-side session store so
    that a back-channel logout can end the session from outside the browser."""

    def __init__(self, slug: str, name: str, scope: str, default_port: int) -> None:
        self.slug, self.name, self.scope = slug, name, scope
        self.settings = Settings.from_env(slug, default_port)
        self.app = Flask(f"clients.examples.{slug}")
        self.app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_NAME=f"{slug}_session")
        self.oauth = OAuth(self.app)
        self.logbook = self.oauth.register(
            "logbook",
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            server_metadata_url=f"{self.settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": scope, "code_challenge_method": "S256"},
        )
        self.sessions: dict[str, dict[str, Any]] = {}  # local session id -> who, tokens, Logbook's sid
        self._lock = threading.Lock()
        self._routes()

    # -- pages ----------------------------------------------------------------------------------------
    def page(self, title: str, body: str = "", **context: Any) -> str:
        user, csrf = self.user(), self.csrf_token()
        inner = render_template_string(body, user=user, csrf=csrf, **context) if body else ""
        return render_template_string(LAYOUT, title=title, body=inner, rp=self, user=user, csrf=csrf)

    @staticmethod
    def csrf_token() -> str:
        """Every form of ours carries it as ``csrf_token`` (a hidden input); ``_check_csrf`` compares."""
        return str(session.setdefault("csrf", secrets.token_urlsafe(24)))

    def _check_csrf(self) -> Any:
        if request.method != "POST" or request.endpoint == "backchannel_logout":
            return None
        sent = request.form.get("csrf_token", "")
        return None if sent and secrets.compare_digest(sent, session.get("csrf", "")) else ("Form expired", 400)

    def user(self) -> dict[str, Any] | None:
        entry = self.sessions.get(session.get("local_id", ""))
        return entry["userinfo"] if entry else None

    def token(self) -> dict[str, Any] | None:
        entry = self.sessions.get(session.get("local_id", ""))
        return entry["token"] if entry else None

    def signed_in(self, view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs) if self.user() else redirect(url_for("sign_in", next=request.path))

        return wrapper

    def sign_in_redirect(self, next_url: str = "/", **extra: Any) -> Any:
        """To Logbook's authorization endpoint; ``extra`` adds acr_values, max_age or prompt."""
        session["next"] = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
        callback = f"{self.settings.base_url}/callback"
        return self.logbook.authorize_redirect(callback, **{k: v for k, v in extra.items() if v is not None})

    # -- Logbook's APIs -------------------------------------------------------------------------------
    def vault(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A vault API call with the signed-in person's access token."""
        token = self.token() or {}
        headers = {"Authorization": f"Bearer {token.get('access_token', '')}"}
        url = f"{self.settings.issuer}/api/v1/vault{path}"
        return requests.request(method, url, headers=headers, timeout=HTTP_TIMEOUT, **kwargs)

    def client_credentials_token(self, scope: str) -> str:
        """An access token for the service itself (OAuth client credentials grant)."""
        metadata = self.logbook.load_server_metadata()
        response = requests.post(
            metadata["token_endpoint"],
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(self.settings.client_id, self.settings.client_secret),
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    # -- sign-in, sign-out ----------------------------------------------------------------------------
    def _routes(self) -> None:
        app = self.app
        app.before_request(self._check_csrf)
        app.add_url_rule("/sign-in", "sign_in", lambda: self.sign_in_redirect(request.args.get("next", "/")))
        app.add_url_rule("/callback", "callback", self._callback)
        app.add_url_rule("/sign-out", "sign_out", self._sign_out, methods=["POST"])
        app.add_url_rule("/signed-out", "signed_out", lambda: self.page("You have signed out"))
        app.add_url_rule("/backchannel-logout", "backchannel_logout", self._backchannel_logout, methods=["POST"])

    def _callback(self) -> Any:
        if "error" in request.args:
            failed = "<p class='govuk-body'>{{ e }}</p>"
            return self.page("Sign-in did not finish", failed, e=request.args["error"]), 400
        token = self.logbook.authorize_access_token()  # checks state, PKCE, the ID token and its nonce
        claims = {**self.logbook.userinfo(token=token), **token["userinfo"]}  # ID token claims win
        local_id = secrets.token_urlsafe(24)
        with self._lock:
            self.sessions[local_id] = {"token": token, "userinfo": dict(claims), "sid": claims.get("sid")}
            self.sessions.pop(session.get("local_id", ""), None)
        session["local_id"] = local_id
        return redirect(session.pop("next", "/"))

    def _sign_out(self) -> Any:
        """RP-initiated logout: end the local session, then ask Logbook to end the sign-in everywhere."""
        with self._lock:
            entry = self.sessions.pop(session.pop("local_id", ""), None)
        if entry is None:
            return redirect("/signed-out")
        return self.logbook.logout_redirect(
            post_logout_redirect_uri=f"{self.settings.base_url}/signed-out",
            id_token_hint=entry["token"].get("id_token"),
            client_id=self.settings.client_id,
        )

    def _backchannel_logout(self) -> Any:
        """OpenID Connect Back-Channel Logout 1.0 section 2.6: validate, then end the matching sessions."""
        token = request.form.get("logout_token", "")
        if not backchannel.is_logout_event(token):
            return "", 204  # another event on this URI (Logbook's consent notices): nothing to end
        try:
            jwks = self.logbook.fetch_jwk_set()
            claims = backchannel.logout_claims(token, jwks, self.settings.issuer, self.settings.client_id)
        except (JoseError, ValueError, KeyError) as error:
            return {"error": "invalid_request", "error_description": str(error)}, 400
        with self._lock:
            for key in [key for key, entry in self.sessions.items() if backchannel.ends(entry, claims)]:
                del self.sessions[key]
        return "", 200

    def run(self) -> None:
        if not self.settings.client_id:
            raise SystemExit(f"{self.name}: set {self.slug.upper()}_CLIENT_ID or EXAMPLES_CLIENTS_FILE")
        self.app.run(host="127.0.0.1", port=self.settings.port, threaded=True)
