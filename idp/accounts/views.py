"""Public account pages: register, confirm the contact, sign in and out, reset a forgotten password."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_limiter.errors import RateLimitExceeded
from werkzeug.wrappers import Response

from idp.accounts import contacts, recovery, registration, services, sessions, throttle
from idp.accounts.errors import (
    CodeRejected,
    ContactNotVerified,
    InvalidCredentials,
    PasswordRejected,
    ResetLinkInvalid,
)
from idp.accounts.forms import ConfirmForm, NewPasswordForm, RegisterForm, ResetRequestForm, SignInForm, VerifyForm
from idp.accounts.models import User
from idp.extensions import db
from idp.forms import Form, refuse_oversized_forms
from idp.guards import safe_next_url

VERIFY_LINK_DEAD = (
    "This link has expired or has already been used. "
    "If you have not confirmed your email address yet, sign in to get a new code."
)

bp = Blueprint("accounts", __name__)
refuse_oversized_forms(bp)
bp.register_error_handler(RateLimitExceeded, throttle.too_many_attempts)


def page(template: str, form: Form, **context: Any) -> tuple[str, int]:
    """A form page: 400 when it is shown again with errors, so bad input is never a 200."""
    return render_template(template, form=form, **context), 400 if form.errors else 200


def _next_url() -> str:
    return safe_next_url(request.args.get("next"), url_for("account.overview"))


@bp.route("/sign-in", methods=["GET", "POST"])
@throttle.sign_in_per_address
@throttle.sign_in_per_account
def sign_in() -> Any:
    next_url = _next_url()
    form = SignInForm()
    if request.method == "GET":  # OIDC Core 3.1.2.1 login_hint: the service says who is likely signing in
        form.contact.data = request.args.get("login_hint", "")[:254]
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.contact.data, form.password.data)
        except ContactNotVerified as unverified:
            return _to_verification(unverified.user, next_url)
        except InvalidCredentials as error:
            form.add_error(error.message)
        else:
            return services.finish_password_step(user, next_url)
    return page("accounts/sign_in.html", form, next_url=next_url)


def _to_verification(user: User, next_url: str) -> Response:
    """The password was right but the contact is unconfirmed: send a code (unless one is live) and ask."""
    session[sessions.PENDING_USER_KEY] = user.id
    if registration.live_code(user) is None:
        registration.send_verification(user)
    flash(f"Confirm your {'email address' if user.email else 'mobile number'} to finish signing in.", "info")
    return redirect(url_for("accounts.verify", next=next_url))


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out() -> Any:
    """GET asks (a link cannot sign anyone out); POST, with its CSRF token, signs out."""
    form = ConfirmForm()
    if sessions.current_session() is None:
        return redirect(url_for("main.start"))
    if form.validate_on_submit():
        sessions.end_current_session()  # the services signed in here are signed out too
        flash("You have signed out.", "success")
        return redirect(url_for("main.start"))
    return page("accounts/sign_out.html", form)


@bp.route("/register", methods=["GET", "POST"])
@throttle.sign_in_per_address  # refused attempts too: "already registered" must not be an unlimited oracle
@throttle.messages_per_address
def register() -> Any:
    form = RegisterForm()
    if form.validate_on_submit():
        contact_field = form.channel
        names = (form.given_name.data.strip(), form.family_name.data.strip())
        try:
            user = registration.register(contact_field, form.normalised_contact, form.new_password.data, *names)
        except PasswordRejected as error:
            form.add_error(error.message, "new_password")
        else:
            _await_confirmation(user, contact_field, form.normalised_contact)
            return redirect(url_for("accounts.verify"))
    return page("accounts/register.html", form)


def _await_confirmation(user: User | None, channel: str, contact: str) -> None:
    """Either way the browser goes on to "check your email/phone": for a new account, to confirm it; for
    an address that already had one (``user`` None), to a page that looks the same and accepts no code."""
    session.pop(sessions.PENDING_USER_KEY, None)
    session.pop(sessions.REGISTRATION_DECOY_KEY, None)
    if user is not None:
        session[sessions.PENDING_USER_KEY] = user.id
    else:
        session[sessions.REGISTRATION_DECOY_KEY] = _fresh_decoy_code({"channel": channel, "contact": contact})


def _fresh_decoy_code(decoy: dict[str, Any]) -> dict[str, Any]:
    """As if a new code had been sent: its lifetime and its count of wrong tries start again."""
    return {**decoy, "attempts": 0, "issued_at": time.time()}


def _pending_user() -> User | None:
    user_id = session.get(sessions.PENDING_USER_KEY)
    return db.session.get(User, user_id) if isinstance(user_id, str) else None


def _decoy() -> dict[str, Any] | None:
    value = session.get(sessions.REGISTRATION_DECOY_KEY)
    return value if isinstance(value, dict) else None


@bp.route("/verify", methods=["GET", "POST"])
@throttle.sign_in_per_address
def verify() -> Any:
    user = _pending_user()
    if user is None or user.contact_verified:
        return _verify_decoy() if _decoy() else redirect(url_for("accounts.sign_in"))
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            registration.verify_code(user, form.code.data)
        except CodeRejected as error:
            form.add_error(error.message, "code")
        else:
            return _confirmed(user)
    return _verify_page(form, user.email, user.phone)


def _verify_page(form: VerifyForm, email: str | None, phone: str | None) -> tuple[str, int]:
    shown_phone = contacts.display_phone(phone) if phone else None
    context = {"email": email, "phone": shown_phone, "resend_form": ConfirmForm(), "next_url": request.args.get("next")}
    return page("accounts/verify.html", form, **context)


def _verify_decoy() -> tuple[str, int]:
    """The confirmation page after registering with an address that already had an account: no code
    can be right (none was sent), and wrong codes are answered as for a real registration."""
    decoy = _decoy() or {}
    form = VerifyForm()
    if form.validate_on_submit():
        attempts = int(decoy.get("attempts", 0))
        rejected = registration.decoy_code_rejected(attempts, float(decoy.get("issued_at", 0)), time.time())
        form.add_error(rejected.message, "code")
        session[sessions.REGISTRATION_DECOY_KEY] = {**decoy, "attempts": attempts + 1}
    email = decoy.get("contact") if decoy.get("channel") == contacts.EMAIL else None
    phone = decoy.get("contact") if email is None else None
    return _verify_page(form, email, phone)


def _confirmed(user: User) -> Response:
    session.pop(sessions.PENDING_USER_KEY, None)
    flash(f"Your {'email address' if user.email else 'mobile number'} is confirmed. Sign in to continue.", "success")
    return redirect(url_for("accounts.sign_in", next=safe_next_url(request.args.get("next"), "") or None))


@bp.post("/verify/resend")
@throttle.messages_per_address
@throttle.messages_per_account
def resend_code() -> Any:
    user = _pending_user()
    form = ConfirmForm()
    decoy = _decoy() if user is None else None
    if decoy and form.validate_on_submit():
        session[sessions.REGISTRATION_DECOY_KEY] = _fresh_decoy_code(decoy)
        return _resent(str(decoy.get("contact", "")))  # nothing is sent: the owner has had their notice
    if user is None or user.contact_verified or not form.validate_on_submit():
        return redirect(url_for("accounts.sign_in"))
    registration.send_verification(user)
    return _resent(user.contact)


def _resent(contact: str) -> Response:
    shown = contact if "@" in contact else contacts.display_phone(contact)
    flash(f"We have sent a new code to {shown}.", "info")
    return redirect(url_for("accounts.verify", next=request.args.get("next")))


@bp.get("/verify/email/<token>")
def verify_link(token: str) -> Any:
    user = registration.verify_link(token)
    if user is None:
        return render_template("accounts/link_failed.html", message=VERIFY_LINK_DEAD), 400
    return _confirmed(user)


@bp.route("/reset-password", methods=["GET", "POST"])
@throttle.messages_per_address
@throttle.messages_per_account
def forgot_password() -> Any:
    form = ResetRequestForm()
    if form.validate_on_submit():
        recovery.request_password_reset(form.contact.data)
        return redirect(url_for("accounts.reset_sent"))
    return page("accounts/forgot_password.html", form)


@bp.get("/reset-password/sent")
def reset_sent() -> str:
    return render_template("accounts/reset_sent.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@throttle.sign_in_per_address
def reset_password(token: str) -> Any:
    try:
        reset = recovery.live_reset(token)
    except ResetLinkInvalid as error:
        return render_template("accounts/link_failed.html", message=error.message), 400
    form = NewPasswordForm(personal=(reset.user.email, reset.user.phone))
    if form.validate_on_submit():
        recovery.reset_password(token, form.new_password.data)
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    return page("accounts/reset_password.html", form)
