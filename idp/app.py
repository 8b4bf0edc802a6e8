"""The application factory: configuration, extensions, blueprints with their guards, errors, CLI."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, request, send_from_directory
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from idp import guards, session_budget
from idp.config import PROJECT_ROOT, load_config
from idp.errors import register_error_handlers
from idp.extensions import csrf, db, limiter, migrate
from idp.keyring import Keyring
from idp.request_hygiene import PercentEncodeQueryBytes, refuse_nul_in_paths

ASSETS_DIR = PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Logbook app. ``config`` overrides settings (tests pass ``{"ENV_NAME": "test", ...}``)."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.from_mapping(load_config(config))
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    if app.config["TOKEN_FAST_PATH"]:  # innermost: it sees the request as Flask would (proxies, hygiene)
        from idp.oauth2.fast_path import MachineEndpoints

        app.wsgi_app = MachineEndpoints(app, app.wsgi_app)  # type: ignore[method-assign]
    _trust_proxies(app, int(app.config["PROXY_HOPS"]))
    app.wsgi_app = PercentEncodeQueryBytes(app.wsgi_app)  # type: ignore[method-assign]
    refuse_nul_in_paths(app)
    _init_extensions(app)
    from idp.observability import init_observability

    init_observability(app)
    app.extensions["logbook_keyring"] = Keyring(app.config["KEYS_DIR"], app.config["SIGNING_ALGORITHM"]).ensure()
    _register_blueprints(app)
    register_error_handlers(app)
    _register_security_headers(app)
    session_budget.install(app)  # registered last: it runs first, and its 400 still gets the headers
    _register_template_globals(app)
    from idp.cli import register_cli

    register_cli(app)
    return app


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind ``hops`` load balancers, the citizen's address (rate limits, session records) is the one the
    balancers add to X-Forwarded-For, not theirs. Without proxies the header is ignored: anyone can send it."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    _import_models()


def _ensure_sqlite_folder(uri: str) -> None:
    if uri.startswith("sqlite:///") and uri != "sqlite://":
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _import_models() -> None:
    """Every package's models, so that metadata (and Alembic) sees all tables."""
    import clients.models  # noqa: F401
    import consent.models  # noqa: F401
    import idp.accounts.models  # noqa: F401
    import idp.audit  # noqa: F401
    import idp.authn.models  # noqa: F401
    import idp.linking.models  # noqa: F401
    import idp.oauth2.models  # noqa: F401
    import idp.officers.models  # noqa: F401
    import vault.models  # noqa: F401


def blueprints() -> list[tuple[Blueprint, guards.Guard]]:
    """Each blueprint with the one guard that protects all its endpoints."""
    from consent import api as consent_api
    from consent import views as consent_views
    from idp.accounts import account_views as own_account_views
    from idp.accounts import contact_views as account_contact_views
    from idp.accounts import views as account_views
    from idp.authn import settings_views as authn_settings_views
    from idp.authn import views as authn_views
    from idp.linking import views as linking_views
    from idp.main import views as main_views
    from idp.oauth2 import views as oauth2_views
    from idp.officers import audit_views as officer_audit_views
    from idp.officers import citizen_views as officer_citizen_views
    from idp.officers import client_admin_views as officer_client_admin_views
    from idp.officers import consent_views as officer_consent_views
    from idp.officers import role_admin_views as officer_role_admin_views
    from idp.officers import sessions_views as officer_sessions_views
    from idp.officers import views as officer_views
    from idp.ops import views as ops_views
    from vault import api as vault_api
    from vault import views as vault_views

    return [
        (main_views.bp, guards.public),
        (oauth2_views.bp, guards.protocol),
        (oauth2_views.consent_bp, guards.signed_in),
        (ops_views.bp, guards.metrics_token),
        (account_views.bp, guards.public),
        (own_account_views.bp, guards.signed_in),
        (authn_views.bp, guards.public),
        (authn_settings_views.bp, guards.signed_in),
        (vault_api.bp, guards.bearer_token),
        (vault_views.bp, guards.signed_in),
        (consent_views.bp, guards.signed_in),
        (consent_api.bp, guards.bearer_token),
        (officer_views.bp, guards.requires_role("officer")),
        (officer_consent_views.bp, guards.requires_role("officer")),
        (officer_sessions_views.bp, guards.requires_role("officer")),
        (officer_client_admin_views.bp, guards.requires_role("client_admin")),
        (officer_audit_views.bp, guards.requires_role("auditor")),
        (officer_role_admin_views.bp, guards.requires_role("role_admin")),
        (officer_citizen_views.bp, guards.signed_in),
        (officer_citizen_views.activation_bp, guards.public),
        (linking_views.bp, guards.signed_in),
        (account_contact_views.bp, guards.signed_in),
    ]


def _register_blueprints(app: Flask) -> None:
    registered: dict[str, str] = {}
    for blueprint, guard in blueprints():
        app.register_blueprint(blueprint)
        # Attached on the app, not the module-level blueprint, so that every app built gets it once.
        app.before_request_funcs.setdefault(blueprint.name, []).insert(0, guard)
        registered[blueprint.name] = guard.__name__
    app.extensions["logbook_guards"] = registered

    @app.get("/assets/<path:filename>", endpoint="assets")
    def assets(filename: str) -> Response:
        return send_from_directory(ASSETS_DIR / "assets", filename, max_age=86400)

    @app.get("/assets/govuk-frontend/<path:filename>", endpoint="frontend")
    def frontend(filename: str) -> Response:
        return send_from_directory(ASSETS_DIR, filename, max_age=86400)


def _register_security_headers(app: Flask) -> None:
    @app.before_request
    def make_csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in security_headers(g.get("csp_nonce", ""), hsts=app.config["HSTS"]):
            response.headers[name] = value
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


def security_headers(nonce: str, hsts: bool) -> list[tuple[str, str]]:
    """The headers every response carries (also the token endpoints' fast path, ``idp.oauth2.fast_path``)."""
    headers = [
        (
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        # Sign-in and authorization pages carry codes and state in URLs: never leak them to other sites.
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def _register_template_globals(app: Flask) -> None:
    @app.context_processor
    def template_globals() -> dict[str, Any]:
        from idp.accounts.sessions import current_user
        from idp.locales import page_locale

        return {
            "page_lang": page_locale(),  # ui_locales honoured (idp/locales.py)
            "service_name": app.config["SERVICE_NAME"],
            "council_name": app.config["COUNCIL_NAME"],
            "current_user": current_user(),
            "csp_nonce": g.get("csp_nonce"),
            "request_path": request.path,
        }
