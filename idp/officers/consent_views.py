"""Officer pages for consent given with the citizen alongside (blueprint ``officers_consent``, guard
``requires_role("officer")``): answering an organisation's access request and sharing with a service.
Every page needs a live assisted window on that citizen; the rules are in ``idp.officers.assisted_consent``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from consent import labels
from consent.access_requests import request_for_user
from idp.accounts.models import User
from idp.errors import DomainError
from idp.extensions import db
from idp.forms import choices, refuse_oversized_forms
from idp.guards import guarded_user
from idp.officers import assisted, assisted_consent
from idp.officers.consent_forms import AnswerRequestForm, GiveGrantForm
from idp.officers.navigation import add_staff_navigation

bp = Blueprint("officers_consent", __name__, url_prefix="/officers/citizens/<user_id>")
add_staff_navigation(bp)
refuse_oversized_forms(bp)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"scope_label": labels.scope_label, "organisation_type_label": labels.organisation_type_label}


def _present(user_id: str) -> tuple[User, User]:
    """(officer, citizen), only while the citizen's assisted window with this officer is live (else 403)."""
    officer, user = guarded_user(), db.session.get(User, user_id)
    if user is None:
        abort(404)
    assisted.require_session(officer, user)
    return officer, user


def _back(user: User) -> Any:
    return redirect(url_for("officers.citizen", user_id=user.id))


def _show(form: Any, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(error.message, "scopes" if field == "modules" else field if field in form else None)


def _scope_choices(scopes: list[str]) -> list[SelectChoice]:
    return choices((scope, labels.scope_label(scope)) for scope in scopes)


@bp.route("/requests/<request_id>", methods=["GET", "POST"])
def answer_request(user_id: str, request_id: str) -> Any:
    officer, user = _present(user_id)
    found = request_for_user(user, request_id)
    asked = sorted(f"vault:{module}:{action}" for module, actions in found.modules.items() for action in actions)
    form = AnswerRequestForm()
    form.scopes.choices = _scope_choices(asked)
    if request.method == "GET":
        form.scopes.data = asked
    if found.status == "pending" and form.validate_on_submit():
        chosen = None if form.decision.data == "decline" else list(form.scopes.data or [])
        try:
            grant = assisted_consent.answer_request(officer, user, found.id, chosen, bool(form.agreed.data))
        except DomainError as error:
            _show(form, error)
        else:
            flash("The citizen is now sharing this information." if grant else "The citizen said no.", "success")
            return _back(user)
    page = render_template("officers/answer_request.html", form=form, citizen=user, access_request=found)
    return page, 400 if form.errors else 200


@bp.get("/share")
def choose_service(user_id: str) -> Any:
    _, user = _present(user_id)
    return render_template("officers/share_choose.html", citizen=user, services=assisted_consent.sharing_services())


@bp.route("/share/<client_id>", methods=["GET", "POST"])
def share(user_id: str, client_id: str) -> Any:
    officer, user = _present(user_id)
    service = assisted_consent.sharing_service(client_id)
    form = GiveGrantForm()
    form.scopes.choices = _scope_choices(assisted_consent.offered_scopes(service))
    if form.validate_on_submit():
        chosen, days = list(form.scopes.data or []), int(form.days.data)
        try:
            assisted_consent.give_grant(officer, user, service.client_id, chosen, days, bool(form.agreed.data))
        except DomainError as error:
            _show(form, error)
        else:
            flash(f"The citizen is now sharing information with {service.organisation.name}.", "success")
            return _back(user)
    page = render_template("officers/share.html", form=form, citizen=user, service=service)
    return page, 400 if form.errors else 200
