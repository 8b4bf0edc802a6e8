"""Sign-in pages after the password (second factor), passkey ceremonies, and step-up.

Blueprint ``authn``, guard ``public``: the second-factor pages serve people who are not signed in yet;
the step-up pages check the session themselves and send anyone without one to sign in first.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from idp.accounts import throttle
from idp.accounts.passwords import verify_password
from idp.accounts.sessions import current_session, start_session
from idp.authn import passkeys, recovery, services, step_up, totp
from idp.authn.forms import CodeForm, PasswordForm, RecoveryCodeForm
from idp.authn.levels import ACR_PASSKEY, ACR_TWO_FACTOR, AMR_PASSWORD, level_for
from idp.database import utcnow
from idp.errors import DomainError
from idp.extensions import limiter
from idp.forms import Form, refuse_oversized_forms
from idp.guards import safe_next_url

bp = Blueprint("authn", __name__)
refuse_oversized_forms(bp)
bp.register_error_handler(RateLimitExceeded, throttle.too_many_attempts)

CEREMONY_KEY = "webauthn_ceremony"


def _factor_key() -> str:
    """Throttle per person: the pending user during sign-in, the signed-in user during step-up."""
    user = services.pending_user()
    login = current_session()
    return "authn-factor:" + (user.id if user else login.user_id if login else get_remote_address())


def _setting(name: str, default: str) -> str:
    return str(current_app.config.get(name) or default)


# Wrong codes are throttled per person here, on top of each factor's own lockout after repeated failures.
factor_limit = limiter.limit(
    lambda: _setting("SECOND_FACTOR_LIMIT", "10 per minute;50 per hour"),
    key_func=_factor_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code >= 400,
    scope="authn-factor",
)
ceremony_limit = limiter.limit(
    lambda: _setting("PASSKEY_OPTIONS_LIMIT", "30 per minute"),
    key_func=get_remote_address,
    scope="authn-ceremony",
)


def json_body() -> dict[str, Any]:
    """The JSON object posted by passkeys.js; anything else counts as empty (and fails as a bad request)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def page(template: str, form: Form, status: int | None = None, **context: Any) -> tuple[str, int]:
    return render_template(template, form=form, **context), status or (400 if form.errors else 200)


# -- second factor at sign-in ---------------------------------------------------------------------


@bp.route("/sign-in/second-factor", methods=["GET", "POST"])
@factor_limit
def second_factor() -> Any:
    user = services.pending_user()
    if user is None:
        return redirect(url_for("accounts.sign_in"))
    form = CodeForm()
    factor = totp.active_factor(user)
    if factor is not None and form.validate_on_submit():
        try:
            return redirect(services.sign_in_with_code(user, form.code.data))
        except DomainError as error:
            form.add_error(error.message, "code")
            return page("authn/second_factor.html", form, error.status_code, **_factor_context(user))
    return page("authn/second_factor.html", form, **_factor_context(user))


def _factor_context(user: Any) -> dict[str, Any]:
    factor = totp.active_factor(user)
    locked = factor is not None and factor.locked_until is not None and factor.locked_until > utcnow()
    return {
        "has_totp": factor is not None,
        "has_passkey": bool(passkeys.passkeys_of(user)),
        "locked_until": factor.locked_until if locked and factor else None,
    }


@bp.route("/sign-in/second-factor/recovery-code", methods=["GET", "POST"])
@factor_limit
def second_factor_recovery() -> Any:
    user = services.pending_user()
    if user is None:
        return redirect(url_for("accounts.sign_in"))
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            return redirect(services.sign_in_with_recovery_code(user, form.code.data))
        except DomainError as error:
            form.add_error(error.message, "code")
    return page("authn/recovery_code.html", form, back_url=url_for("authn.second_factor"))


# -- passkey ceremonies (JSON, called by idp/static/passkeys.js) ----------------------------------


@bp.post("/sign-in/passkey/options")
@ceremony_limit
def passkey_options() -> Any:
    purpose = _purpose(json_body())
    user = _ceremony_user(purpose)
    ceremony_id, options = passkeys.authentication_options(purpose, user)
    session[CEREMONY_KEY] = ceremony_id
    return current_app.response_class(options, mimetype="application/json")


def _purpose(body: dict[str, Any]) -> str:
    purpose = body.get("purpose")
    if purpose not in ("second-factor", "step-up", "sign-in"):
        raise passkeys.PasskeyError("Unknown passkey request.")
    return str(purpose)


def _ceremony_user(purpose: str) -> Any:
    if purpose == "second-factor":
        user = services.pending_user()
    elif purpose == "step-up":
        login = current_session()
        user = login.user if login else None
    elif purpose == "sign-in":
        return None
    else:
        raise passkeys.PasskeyError("Unknown passkey request.")
    if user is None:
        raise passkeys.PasskeyError("Your sign-in has expired. Start again.")
    return user


@bp.post("/sign-in/passkey")
def passkey_finish() -> Any:
    body = json_body()
    purpose = _purpose(body)
    user = _ceremony_user(purpose)
    passkey = passkeys.authenticate(session.pop(CEREMONY_KEY, None), purpose, body.get("credential"))
    if user is not None and passkey.user_id != user.id:  # the browser moved on to another account meanwhile
        raise passkeys.PasskeyError("That passkey is not registered for this account.")
    return jsonify(redirect=_after_passkey(purpose, passkey, body))


def _after_passkey(purpose: str, passkey: Any, body: dict[str, Any]) -> str:
    amr = passkeys.amr_for(passkey)
    if purpose == "second-factor":
        return services.complete_sign_in(passkey.user, ACR_PASSKEY.value, [AMR_PASSWORD, *amr])
    if purpose == "step-up":
        plan = step_up.current_plan()
        if plan is None or plan.steps[0] not in (step_up.PASSKEY, step_up.SECOND_FACTOR):
            raise step_up.BadStepUpRequest("There is no step-up waiting for a passkey. Start again.")
        return step_up.complete_step(plan, step_up.PASSKEY, amr, ACR_PASSKEY.value)
    if not passkey.user.is_active:
        raise passkeys.PasskeyError("That passkey is not registered for an active account.")
    start_session(passkey.user, ACR_PASSKEY.value, amr)
    next_url = body.get("next")
    return safe_next_url(next_url if isinstance(next_url, str) else None, url_for("account.overview"))


@bp.get("/sign-in/passkey")
def passkey_sign_in() -> Any:
    """Sign in with a passkey alone (a discoverable credential with user verification)."""
    next_url = safe_next_url(request.args.get("next"), "")
    return render_template("authn/passkey_sign_in.html", form=None, next_url=next_url)


# -- step-up --------------------------------------------------------------------------------------


@bp.get("/sign-in/step-up", endpoint="step_up")
def step_up_start() -> Any:
    next_url, acr, max_age = step_up.parse_request(request.args)
    login = current_session()
    if login is None:
        return redirect(url_for("accounts.sign_in", next=request.full_path))
    if step_up.is_satisfied(login, acr, max_age):
        return redirect(next_url)
    target = step_up.target_for(login, acr)
    if not step_up.is_reachable(login, target):
        level = level_for(target)
        return render_template(
            "authn/step_up_unreachable.html",
            form=None,
            level_name=level.name if level else target,
            needs_passkey=target == ACR_PASSKEY.value,
            cancel_url=step_up.cancelled_url(next_url),
        ), 403
    return redirect(step_up.next_step_url(step_up.start(login, next_url, target, max_age)))


def _plan_or_restart(step: str) -> Any:
    plan = step_up.current_plan()
    if plan is None or not plan.steps or plan.steps[0] != step:
        return None
    return plan


def _signed_in_user() -> Any:
    """The user of the session a step-up plan belongs to (a plan exists only for a live session)."""
    login = current_session()
    if login is None:
        raise step_up.BadStepUpRequest("You are not signed in. Sign in and try again.")
    return login.user


def _step_context(plan: step_up.Plan) -> dict[str, Any]:
    return {"cancel_url": step_up.cancelled_url(plan.next_url), **_factor_context(_signed_in_user())}


@bp.route("/sign-in/step-up/password", methods=["GET", "POST"])
@factor_limit
def step_up_password() -> Any:
    plan = _plan_or_restart(step_up.PASSWORD)
    if plan is None:
        return redirect(url_for("account.overview"))
    form = PasswordForm()
    if form.validate_on_submit():
        if verify_password(_signed_in_user().password_hash, form.password.data):
            return redirect(step_up.complete_step(plan, step_up.PASSWORD, [AMR_PASSWORD]))
        form.add_error("Your password is not correct", "password")
    return page("authn/step_up_password.html", form, **_step_context(plan))


@bp.route("/sign-in/step-up/code", methods=["GET", "POST"])
@factor_limit
def step_up_code() -> Any:
    plan = _plan_or_restart(step_up.SECOND_FACTOR)
    if plan is None:
        return redirect(url_for("account.overview"))
    form = CodeForm()
    factor = totp.active_factor(_signed_in_user())
    if factor is not None and form.validate_on_submit():
        try:
            totp.verify_code(factor, form.code.data)
        except DomainError as error:
            form.add_error(error.message, "code")
            return page("authn/step_up_code.html", form, error.status_code, **_step_context(plan))
        return redirect(step_up.complete_step(plan, step_up.SECOND_FACTOR, services.TOTP_AMR, ACR_TWO_FACTOR.value))
    return page("authn/step_up_code.html", form, **_step_context(plan))


@bp.route("/sign-in/step-up/recovery-code", methods=["GET", "POST"])
@factor_limit
def step_up_recovery() -> Any:
    plan = _plan_or_restart(step_up.SECOND_FACTOR)
    if plan is None:
        return redirect(url_for("account.overview"))
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            recovery.use(_signed_in_user(), form.code.data)
        except DomainError as error:
            form.add_error(error.message, "code")
        else:
            next_url = step_up.complete_step(plan, step_up.SECOND_FACTOR, services.RECOVERY_CODE_AMR)
            return redirect(next_url)
    return page("authn/recovery_code.html", form, back_url=url_for("authn.step_up_code"), **_step_context(plan))


@bp.get("/sign-in/step-up/passkey")
def step_up_passkey() -> Any:
    plan = _plan_or_restart(step_up.PASSKEY)
    if plan is None:
        return redirect(url_for("account.overview"))
    return render_template("authn/step_up_passkey.html", form=None, **_step_context(plan))
