"""The person's own security settings under /account/security: second factors and recovery codes.

Blueprint ``authn_settings``, guard ``signed_in``. Adding or removing a factor and regenerating recovery
codes need a fresh sign-in with the strongest factor held (``require_fresh_strong_auth``).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, session, url_for

from idp.accounts.services import notify
from idp.accounts.sessions import current_session
from idp.authn import passkeys, recovery, services, totp
from idp.authn.forms import CodeForm, ConfirmForm, PasskeyNameForm
from idp.authn.models import Passkey
from idp.authn.step_up import fresh_strong_auth_redirect, require_fresh_strong_auth
from idp.authn.views import json_body
from idp.database import utcnow
from idp.errors import DomainError, NotFound
from idp.extensions import db
from idp.forms import Form, refuse_oversized_forms
from idp.guards import guarded_user

bp = Blueprint("authn_settings", __name__, url_prefix="/account/security")
refuse_oversized_forms(bp)

REGISTRATION_KEY = "webauthn_registration"
# Set when a first passkey is added: the same fresh session may then make its first recovery codes
# without a step-up with the passkey it has only just created (a JSON answer cannot show the codes).
FIRST_CODES_KEY = "authn_first_codes"
FIRST_CODES_SECONDS = 600


def page(template: str, form: Form | None, status: int | None = None, **context: Any) -> tuple[str, int]:
    return render_template(template, form=form, **context), status or (400 if form and form.errors else 200)


@bp.get("", endpoint="overview")
def overview() -> Any:
    user = guarded_user()
    return render_template(
        "authn/security.html",
        form=None,
        factor=totp.active_factor(user),
        passkeys=passkeys.passkeys_of(user),
        recovery_remaining=recovery.remaining(user),
        reachable=services.reachable_acr(user),
        now=utcnow(),
    )


# -- authenticator app ----------------------------------------------------------------------------


@bp.route("/authenticator-app", methods=["GET", "POST"])
@require_fresh_strong_auth
def add_totp() -> Any:
    user = guarded_user()
    factor = totp.factor_of(user)
    if factor is not None and factor.is_active:
        flash("You already have an authenticator app set up.", "info")
        return redirect(url_for(".overview"))
    enrolment = totp.enrolment_for(user, factor) if factor else totp.start_enrolment(user)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            totp.confirm_enrolment(enrolment.factor, form.code.data)
        except DomainError as error:
            form.add_error(error.message, "code")
        else:
            notify(user, "An authenticator app was added", "An authenticator app was added to your account.")
            return _factor_added(user, "Your authenticator app is set up.")
    return page("authn/add_totp.html", form, enrolment=enrolment)


def _factor_added(user: Any, message: str) -> Any:
    """The first factor comes with recovery codes, shown on this one page and never again."""
    if recovery.remaining(user) == 0:
        return page("authn/recovery_codes.html", None, codes=recovery.generate(user), intro=message)
    flash(message, "success")
    return redirect(url_for(".overview"))


@bp.route("/authenticator-app/remove", methods=["GET", "POST"])
@require_fresh_strong_auth
def remove_totp() -> Any:
    user = guarded_user()
    if totp.active_factor(user) is None:
        return redirect(url_for(".overview"))
    form = ConfirmForm()
    if form.validate_on_submit():
        totp.remove(user)
        _after_removal(user, "Your authenticator app was removed from your account.")
        return redirect(url_for(".overview"))
    return page("authn/remove_factor.html", form, factor_name="your authenticator app")


def _after_removal(user: Any, message: str) -> None:
    if not services.has_second_factor(user):
        recovery.discard(user)  # recovery codes stand in for a second factor; with none left they go too
    notify(user, "A sign-in method was removed", message)
    flash(message, "success")


# -- recovery codes --------------------------------------------------------------------------------


@bp.route("/recovery-codes", methods=["GET", "POST"])
def recovery_codes() -> Any:
    user = guarded_user()
    if not services.has_second_factor(user):
        return redirect(url_for(".overview"))
    if not _first_codes_for_new_passkey(user):
        refusal = fresh_strong_auth_redirect()
        if refusal is not None:
            return refusal
    form = ConfirmForm()
    if form.validate_on_submit():
        session.pop(FIRST_CODES_KEY, None)
        codes = recovery.generate(user)
        notify(user, "New recovery codes were made", "New recovery codes were made; the old ones no longer work.")
        return page("authn/recovery_codes.html", None, codes=codes, intro="Your new recovery codes are ready.")
    return page("authn/regenerate_recovery_codes.html", form, remaining=recovery.remaining(user))


def _first_codes_for_new_passkey(user: Any) -> bool:
    marker = session.get(FIRST_CODES_KEY)
    login = current_session()
    return (
        isinstance(marker, dict)
        and login is not None
        and marker.get("sid") == login.id
        and marker.get("until", 0) > time.time()
        and recovery.remaining(user) == 0
    )


# -- passkeys ---------------------------------------------------------------------------------------


@bp.get("/passkeys/new")
@require_fresh_strong_auth
def add_passkey() -> Any:
    return page("authn/add_passkey.html", PasskeyNameForm())


@bp.post("/passkeys/options")
@require_fresh_strong_auth
def passkey_registration_options() -> Any:
    ceremony_id, options = passkeys.registration_options(guarded_user())
    session[REGISTRATION_KEY] = ceremony_id
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkeys")
@require_fresh_strong_auth
def register_passkey() -> Any:
    user = guarded_user()
    body = json_body()
    name = passkeys.rename_allowed(str(body.get("name") or ""))
    passkeys.register(user, session.pop(REGISTRATION_KEY, None), body.get("credential"), name)
    notify(user, "A passkey was added", f"A passkey called “{name}” was added to your account.")
    if recovery.remaining(user) == 0:
        login = current_session()
        session[FIRST_CODES_KEY] = {"sid": login.id if login else None, "until": int(time.time()) + FIRST_CODES_SECONDS}
        flash("Your passkey is set up. Now make recovery codes, for when you cannot use it.", "success")
        return jsonify(redirect=url_for(".recovery_codes"))
    flash("Your passkey is set up.", "success")
    return jsonify(redirect=url_for(".overview"))


@bp.route("/passkeys/<passkey_id>/remove", methods=["GET", "POST"])
@require_fresh_strong_auth
def remove_passkey(passkey_id: str) -> Any:
    user = guarded_user()
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound("There is no such passkey on your account.")
    form = ConfirmForm()
    if form.validate_on_submit():
        name = passkey.name
        passkeys.remove(user, passkey.id)
        _after_removal(user, f"The passkey “{name}” was removed from your account.")
        return redirect(url_for(".overview"))
    return page("authn/remove_factor.html", form, factor_name=f"the passkey “{passkey.name}”")
