"""Role administrators' pages under /staff (blueprint ``role_admin``, guard ``requires_role("role_admin")``):
who holds which staff role, and giving or taking roles away. Never one's own; every change is audited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from idp.accounts.models import User
from idp.errors import DomainError
from idp.extensions import db
from idp.forms import refuse_oversized_forms
from idp.guards import guarded_user
from idp.officers import roles
from idp.officers.forms import ContactSearchForm, RolesForm
from idp.officers.models import ROLE_NAMES, ROLES
from idp.officers.navigation import add_staff_navigation

bp = Blueprint("role_admin", __name__, url_prefix="/staff")
add_staff_navigation(bp)
refuse_oversized_forms(bp)


def _staff_page(form: ContactSearchForm) -> tuple[str, int]:
    page = render_template(
        "officers/staff/staff.html", form=form, staff=roles.staff_accounts(), role_names=ROLE_NAMES, roles=ROLES
    )
    return page, 400 if form.errors else 200


def _account_page(account: User, form: RolesForm, status: int = 200) -> tuple[str, int]:
    own = account.id == guarded_user().id
    page = render_template("officers/staff/account.html", account=account, form=form, own=own)
    return page, 400 if form.errors and status == 200 else status


@bp.get("")
def staff() -> Any:
    return _staff_page(ContactSearchForm())


@bp.post("/find")
def find() -> Any:
    form = ContactSearchForm()
    if form.validate_on_submit():
        found = roles.find_account(guarded_user(), form.contact.data)
        if found is not None:
            return redirect(url_for("role_admin.account", user_id=found.id))
        form.add_error("No account has this email address or mobile number", "contact")
    return _staff_page(form)


@bp.route("/<user_id>", methods=["GET", "POST"])
def account(user_id: str) -> Any:
    account = db.session.get(User, user_id) or abort(404)
    form = RolesForm(data={"roles": sorted(roles.roles_of(account))})
    if not form.validate_on_submit():
        return _account_page(account, form)
    try:
        changes = roles.change_roles(guarded_user(), account, form.roles.data or [])
    except DomainError as error:
        form.add_error(error.message, "roles")
        return _account_page(account, form, error.status_code)
    flash(roles.describe_changes(account, changes), "success")
    return redirect(url_for("role_admin.account", user_id=account.id))
