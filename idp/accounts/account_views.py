"""The signed-in citizen's own account pages under /account (blueprint ``account``, guard ``signed_in``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_limiter.errors import RateLimitExceeded

from idp.accounts import contacts, services, sessions, throttle
from idp.accounts.devices import describe_device
from idp.accounts.errors import PasswordRejected
from idp.accounts.forms import ChangePasswordForm, ConfirmForm
from idp.accounts.views import page
from idp.authn.step_up import require_fresh_strong_auth
from idp.forms import refuse_oversized_forms
from idp.guards import guarded_user

bp = Blueprint("account", __name__, url_prefix="/account")
refuse_oversized_forms(bp)
bp.register_error_handler(RateLimitExceeded, throttle.too_many_attempts)


@bp.get("")
def overview() -> str:
    user = guarded_user()
    phone = contacts.display_phone(user.phone) if user.phone else None
    return render_template("accounts/overview.html", user=user, phone=phone)


@bp.route("/password", methods=["GET", "POST"])
@require_fresh_strong_auth
@throttle.sign_in_per_address
def change_password() -> Any:
    user = guarded_user()
    form = ChangePasswordForm(personal=(user.email, user.phone))
    if form.validate_on_submit():
        try:
            ended = services.change_password(
                user, form.current_password.data, form.new_password.data, keep=sessions.current_session()
            )
        except PasswordRejected as error:
            form.add_error(error.message, error.details.get("field", "new_password"))
        else:
            others = f" You have been signed out on {ended} other device{'s' if ended != 1 else ''}." if ended else ""
            flash("Your password has been changed." + others, "success")
            return redirect(url_for("account.overview"))
    return page("accounts/change_password.html", form)


@bp.get("/sessions")
def sessions_list() -> str:
    user = guarded_user()
    current = sessions.current_session()
    current_id = current.id if current else None
    rows = [
        {"session": row, "device": describe_device(row.user_agent), "current": row.id == current_id}
        for row in sessions.active_sessions(user)
    ]
    return render_template("accounts/sessions.html", rows=rows, form=ConfirmForm())


@bp.post("/sessions/<session_id>/sign-out")
def end_session(session_id: str) -> Any:
    form = ConfirmForm()
    current = sessions.current_session()
    if not form.validate_on_submit():
        return redirect(url_for("account.sessions_list"))
    if current is not None and current.id == session_id:
        sessions.end_current_session()
        flash("You have signed out.", "success")
        return redirect(url_for("main.start"))
    if sessions.end_session(guarded_user(), session_id):
        flash("That device has been signed out.", "success")
    return redirect(url_for("account.sessions_list"))


@bp.post("/sessions/sign-out-others")
def end_other_sessions() -> Any:
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = sessions.end_all_sessions(guarded_user(), keep=sessions.current_session())
        flash(f"You have been signed out on {ended} other device{'s' if ended != 1 else ''}.", "success")
    return redirect(url_for("account.sessions_list"))
