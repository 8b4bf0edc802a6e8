"""The citizen's side of the officer console.

``activation`` (guard ``public``): ``/activate``, where a citizen with a letter or message from an officer
sets their password. ``assistance`` (guard ``signed_in``): ``/account/help-code`` shows a one-time code
to read out to an officer, ``/account/activity`` lists every action staff took on the account.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_limiter.errors import RateLimitExceeded

from idp import audit
from idp.accounts import throttle
from idp.accounts.errors import PasswordRejected
from idp.accounts.forms import ConfirmForm
from idp.forms import refuse_oversized_forms
from idp.guards import guarded_user
from idp.officers import assisted, citizens
from idp.officers.errors import CodeRefused
from idp.officers.forms import ActivateForm
from idp.officers.wording import describe

activation_bp = Blueprint("activation", __name__)
refuse_oversized_forms(activation_bp)
activation_bp.register_error_handler(RateLimitExceeded, throttle.too_many_attempts)

bp = Blueprint("assistance", __name__, url_prefix="/account")
refuse_oversized_forms(bp)


@activation_bp.route("/activate", methods=["GET", "POST"])
@throttle.sign_in_per_address
def activate() -> Any:
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            citizens.activate(form.contact.data, form.code.data, form.new_password.data)
        except (CodeRefused, PasswordRejected) as error:
            form.add_error(error.message, error.details.get("field"))
        else:
            flash("Your account is ready. Sign in with your new password.", "success")
            return redirect(url_for("accounts.sign_in"))
    return render_template("officers/activate.html", form=form), 400 if form.errors else 200


@bp.get("/activity")
def activity() -> str:
    """Every action council staff took on this account, and every time an officer acted alongside you."""
    user = guarded_user()
    return render_template(
        "officers/citizen_activity.html",
        events=audit.events_about(user.id),
        sessions=assisted.sessions_of(user),
        describe=describe,
    )


@bp.get("/help-code")
def help_code() -> str:
    user = guarded_user()
    live = [row for row in assisted.sessions_of(user) if row.is_live()]
    return render_template("officers/help_code.html", form=ConfirmForm(), code=None, live=live)


@bp.post("/help-code")
def new_help_code() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("assistance.help_code"))
    user = guarded_user()
    row, code = assisted.issue_code(user, source="device")
    live = [row for row in assisted.sessions_of(user) if row.is_live()]
    return render_template("officers/help_code.html", form=form, code=code, expires_at=row.expires_at, live=live)


@bp.post("/help-code/stop")
def stop_help() -> Any:
    if ConfirmForm().validate_on_submit():
        ended = assisted.end_sessions_for_citizen(guarded_user())
        if ended:
            flash("The officer can no longer act on your account.", "success")
    return redirect(url_for("assistance.help_code"))
