"""Changing the email address or mobile number (blueprint ``account_contact``, guard ``signed_in``).

Both pages need a fresh sign-in with the strongest factor held (issue 5), like the password change."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length

from idp.accounts import contact_change, contacts
from idp.accounts.errors import AccountExists, CodeRejected, InvalidContact
from idp.accounts.views import page
from idp.authn.step_up import require_fresh_strong_auth
from idp.forms import Form, choices, refuse_oversized_forms
from idp.guards import guarded_user

bp = Blueprint("account_contact", __name__, url_prefix="/account/contact")
refuse_oversized_forms(bp)


class ChangeContactForm(Form):
    channel = RadioField(
        choices=choices([(contacts.EMAIL, "Email address"), (contacts.PHONE, "Mobile number")]),
        validators=[InputRequired("Select what you want to change")],
    )
    contact = StringField(validators=[InputRequired("Enter the new email address or mobile number"), Length(max=254)])


class ConfirmContactForm(Form):
    code = StringField(validators=[InputRequired("Enter the code we sent you"), Length(max=10)])


@bp.route("", methods=["GET", "POST"], endpoint="change")
@require_fresh_strong_auth
def change() -> Any:
    form = ChangeContactForm()
    if form.validate_on_submit():
        try:
            contact_change.start_change(guarded_user(), form.channel.data or "", form.contact.data or "")
        except InvalidContact as error:
            form.add_error(error.message, "contact")
        else:
            return redirect(url_for("account_contact.confirm"))
    return page("accounts/change_contact.html", form)


@bp.route("/confirm", methods=["GET", "POST"], endpoint="confirm")
@require_fresh_strong_auth
def confirm() -> Any:
    user = guarded_user()
    pending = contact_change.pending_change(user)
    if pending is None:
        return redirect(url_for("account_contact.change"))
    form = ConfirmContactForm()
    if form.validate_on_submit():
        try:
            channel = contact_change.confirm_change(user, form.code.data or "")
        except (CodeRejected, AccountExists) as error:
            form.add_error(error.message, "code")
        else:
            flash(f"Your {contact_change.NAMES[channel]} has been changed.", "success")
            return redirect(url_for("account.overview"))
    return page("accounts/confirm_contact.html", form, pending=pending, what=contact_change.NAMES[pending.channel])
