"""Officer pages under /officers (blueprint ``officers``, guard ``requires_role("officer")``).

Officers find a citizen by exact details, create accounts, record identity checks and act alongside a
present citizen. They never see vault contents: only which organisations a citizen shares with.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from consent.dashboard import grants_of
from consent.services import grant_for_user, revoke_grant
from idp import audit
from idp.accounts import contacts
from idp.accounts.forms import ConfirmForm
from idp.accounts.models import User
from idp.errors import DomainError
from idp.extensions import db
from idp.forms import Form, refuse_oversized_forms
from idp.guards import guarded_user
from idp.officers import assisted, assisted_consent, citizens, identity
from idp.officers.forms import (
    CodeForm,
    ContactSearchForm,
    CreateAccountForm,
    DetailsForm,
    IdentityCheckForm,
    ReissueForm,
)
from idp.officers.models import ROLE_OFFICER
from idp.officers.navigation import add_staff_navigation

bp = Blueprint("officers", __name__, url_prefix="/officers")
add_staff_navigation(bp)
refuse_oversized_forms(bp)
NO_MATCH = "No account matches these details exactly. Check them with the citizen, or search by contact"
MANY_MATCHES = "More than one account matches these details. Search by email address or mobile number instead"


def _citizen(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _page(template: str, form: Form | None = None, **context: Any) -> tuple[str, int]:
    status = 400 if form is not None and form.errors else 200
    return render_template(template, form=form, **context), status


def _search_page(details_form: DetailsForm, contact_form: ContactSearchForm) -> tuple[str, int]:
    failed = bool(details_form.errors or contact_form.errors)
    page = render_template("officers/home.html", form=details_form, contact_form=contact_form)
    return page, 400 if failed else 200


@bp.get("")
def home() -> Any:
    return _search_page(DetailsForm(prefix="d"), ContactSearchForm(prefix="c"))


@bp.post("/search/details")
def search_details() -> Any:
    form, contact_form = DetailsForm(prefix="d"), ContactSearchForm(prefix="c")
    if form.validate_on_submit():
        found = citizens.find_by_details(guarded_user(), form.details())
        if len(found) == 1:
            return redirect(url_for("officers.citizen", user_id=found[0].id))
        form.add_error(MANY_MATCHES if found else NO_MATCH)
    return _search_page(form, contact_form)


@bp.post("/search/contact")
def search_contact() -> Any:
    form, contact_form = DetailsForm(prefix="d"), ContactSearchForm(prefix="c")
    if contact_form.validate_on_submit():
        found = citizens.find_by_contact(guarded_user(), contact_form.contact.data)
        if found is not None:
            return redirect(url_for("officers.citizen", user_id=found.id))
        contact_form.add_error("No account has this email address or mobile number", "contact")
    return _search_page(form, contact_form)


@bp.get("/citizens/<user_id>")
def citizen(user_id: str) -> Any:
    officer, user = guarded_user(), _citizen(user_id)
    window = assisted.live_session(officer, user)
    audit.record(officer, ROLE_OFFICER, "citizen.viewed", subject_user_id=user.id,
                 assisted_session_id=window.id if window else None)  # fmt: skip
    sharing = grants_of(user.id)[0] if window else []
    return render_template(
        "officers/citizen.html",
        citizen=user,
        phone=contacts.display_phone(user.phone) if user.phone else None,
        level=identity.identity_level(user.id),
        check=identity.latest_check(user.id),
        pending=citizens.pending_activation(user),
        window=window,
        sharing=sharing,
        requests=assisted_consent.pending_requests(user) if window else [],
        code_form=CodeForm(),
        reissue_form=ReissueForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
def create_account() -> Any:
    form = CreateAccountForm()
    if form.validate_on_submit():
        try:
            officer = guarded_user()
            user, row, code = citizens.create_account(officer, form.details(), form.contact.data, form.delivery.data)
        except DomainError as error:
            form.add_error(error.message, "contact")
        else:
            return _after_activation_code(user, row.delivery, code)
    return _page("officers/create_account.html", form)


def _after_activation_code(user: User, delivery: str, code: str) -> Any:
    if delivery == "message":
        flash(f"Account created. The activation code was sent to {user.contact}.", "success")
        return redirect(url_for("officers.citizen", user_id=user.id))
    _, assist_code = assisted.issue_code(user, source="letter")
    details = citizens.latest_details(user)
    # Shown once, in this response: only digests are kept, so a lost letter means a new one.
    return render_template("officers/letter.html", citizen=user, details=details, code=code, assist_code=assist_code)


@bp.post("/citizens/<user_id>/activation")
def reissue_activation(user_id: str) -> Any:
    user, form = _citizen(user_id), ReissueForm()
    if not form.validate_on_submit():
        flash("Select how the citizen gets their activation code.", "error")
        return redirect(url_for("officers.citizen", user_id=user.id))
    row, code = citizens.reissue_activation(guarded_user(), user, form.delivery.data)
    return _after_activation_code(user, row.delivery, code)


@bp.route("/citizens/<user_id>/identity-check", methods=["GET", "POST"])
def identity_check(user_id: str) -> Any:
    officer, user = guarded_user(), _citizen(user_id)
    form = IdentityCheckForm()
    if form.validate_on_submit():
        window = assisted.live_session(officer, user)
        try:
            identity.record_check(officer, user, form.details(), list(form.documents.data or []),
                                  assisted_session_id=window.id if window else None)  # fmt: skip
        except DomainError as error:
            form.add_error(error.message, error.details.get("field"))
        else:
            flash("Identity check recorded: the account is now verified in person.", "success")
            return redirect(url_for("officers.citizen", user_id=user.id))
    return _page("officers/identity_check.html", form, citizen=user)


@bp.post("/citizens/<user_id>/assist")
def start_assist(user_id: str) -> Any:
    officer, user = guarded_user(), _citizen(user_id)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            assisted.start_session(officer, user, form.code.data)
        except DomainError as error:
            form.add_error(error.message, "code")
        else:
            flash("The citizen has let you act alongside them.", "success")
            return redirect(url_for("officers.citizen", user_id=user.id))
    return _page("officers/assist_code.html", form, citizen=user)


@bp.post("/citizens/<user_id>/assist/end")
def end_assist(user_id: str) -> Any:
    officer, user = guarded_user(), _citizen(user_id)
    if ConfirmForm().validate_on_submit():
        window = assisted.live_session(officer, user)
        if window is not None:
            assisted.end_session(officer, window)
            flash("You are no longer acting alongside the citizen.", "success")
    return redirect(url_for("officers.citizen", user_id=user.id))


@bp.post("/citizens/<user_id>/grants/<grant_id>/revoke")
def revoke(user_id: str, grant_id: str) -> Any:
    """Stop a sharing arrangement for the citizen, who is present (the window must be live)."""
    officer, user = guarded_user(), _citizen(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    window = assisted.require_session(officer, user)
    grant = grant_for_user(user.id, grant_id)
    revoke_grant(grant, by=f"officer:{officer.id}")
    audit.record(officer, ROLE_OFFICER, "grant.revoked", subject_user_id=user.id, target=grant.id,
                 details={"client": grant.client_id}, assisted_session_id=window.id)  # fmt: skip
    flash(f"{grant.client.name} can no longer see the citizen's information.", "success")
    return redirect(url_for("officers.citizen", user_id=user.id))
