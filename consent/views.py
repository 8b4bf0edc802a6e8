"""The citizen's sharing pages: who can see my data, who has seen it, requests, sharing codes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from consent import access_requests, dashboard, labels, services
from consent import scopes as vault_scopes
from consent.forms import ApproveForm, ConfirmForm, ExtendForm, NarrowForm, StepUpForm
from idp.errors import DomainError
from idp.forms import choices, refuse_oversized_forms
from idp.guards import guarded_user

bp = Blueprint("consent", __name__, url_prefix="/sharing")
refuse_oversized_forms(bp)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "module_title": labels.module_title,
        "scope_label": labels.scope_label,
        "organisation_type_label": labels.organisation_type_label,
    }


@bp.app_context_processor
def consent_labels() -> dict[str, Any]:
    """The consent page inside /authorize (templates/oauth2/consent.html) uses the same wording."""
    return {"consent_labels": labels}


def _page(template: str, form: Any = None, **context: Any) -> tuple[str, int]:
    return render_template(template, form=form, **context), 400 if form is not None and form.errors else 200


# -- who can see my data -----------------------------------------------------------------------------
@bp.get("", endpoint="dashboard")
def dashboard_page() -> str:
    live, history = dashboard.grants_of(guarded_user().id)
    return render_template("consent/dashboard.html", live=live, history=history)


def _grant_forms(grant: Any) -> tuple[NarrowForm, ExtendForm]:
    narrow = NarrowForm(prefix="narrow")
    narrow.keep.choices = choices((scope, labels.scope_label(scope)) for scope in sorted(grant.granted))
    if request.method == "GET":
        narrow.keep.data = sorted(grant.granted)
    return narrow, ExtendForm(prefix="extend")


@bp.get("/<grant_id>", endpoint="grant")
def grant_page(grant_id: str) -> tuple[str, int]:
    grant = services.grant_for_user(guarded_user().id, grant_id)
    narrow, extend = _grant_forms(grant)
    return _grant_page(grant, narrow, extend)


def _grant_page(
    grant: Any, narrow: NarrowForm, extend: ExtendForm, step_up: StepUpForm | None = None
) -> tuple[str, int]:
    if step_up is None:
        step_up = StepUpForm(prefix="step_up", data={"required": "yes" if grant.asks_for_step_up else "no"})
    form = next((f for f in (narrow, step_up) if f.errors), extend)
    receipts = dashboard.receipts_of(grant)
    return _page(
        "consent/grant.html", form, grant=grant, narrow=narrow, extend=extend, step_up=step_up, receipts=receipts
    )


@bp.post("/<grant_id>/narrow")
def narrow(grant_id: str) -> Any:
    grant = services.grant_for_user(guarded_user().id, grant_id)
    form, extend = _grant_forms(grant)
    if form.validate_on_submit():
        if not form.keep.data:
            return redirect(url_for("consent.revoke", grant_id=grant.id))
        services.narrow_grant(grant, form.keep.data)
        flash("Your sharing has been changed.", "success")
        return redirect(url_for("consent.grant", grant_id=grant.id))
    return _grant_page(grant, form, extend)


@bp.post("/<grant_id>/extend")
def extend(grant_id: str) -> Any:
    grant = services.grant_for_user(guarded_user().id, grant_id)
    narrow_form, form = _grant_forms(grant)
    if form.validate_on_submit():
        try:
            services.extend_grant(grant, int(form.days.data), confirmed=form.confirm.data)
        except services.InvalidConsent as error:
            form.add_error(error.message, "confirm" if error.details.get("field") == "confirm" else "days")
        else:
            flash("Sharing has been extended.", "success")
            return redirect(url_for("consent.grant", grant_id=grant.id))
    return _grant_page(grant, narrow_form, form)


@bp.post("/<grant_id>/sign-in-check", endpoint="step_up")
def step_up_change(grant_id: str) -> Any:
    grant = services.grant_for_user(guarded_user().id, grant_id)
    form = StepUpForm(prefix="step_up")
    if form.validate_on_submit():
        services.change_step_up(grant, form.required.data == "yes")
        flash("Your sign-in check has been saved.", "success")
        return redirect(url_for("consent.grant", grant_id=grant.id))
    return _grant_page(grant, *_grant_forms(grant), step_up=form)


@bp.route("/<grant_id>/revoke", methods=["GET", "POST"])
def revoke(grant_id: str) -> Any:
    grant = services.grant_for_user(guarded_user().id, grant_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.revoke_grant(grant, by="citizen")
        flash(f"{grant.client.organisation.name} can no longer see your information.", "success")
        return redirect(url_for("consent.dashboard"))
    return _page("consent/revoke.html", form, grant=grant)


@bp.get("/receipts/<receipt_id>")
def receipt(receipt_id: str) -> Response:
    found = dashboard.receipt_for_user(guarded_user().id, receipt_id)
    if found is None:
        abort(404)
    response = Response(found.jws, mimetype="application/jose")
    response.headers["Content-Disposition"] = f'attachment; filename="consent-receipt-{found.id}.jws"'
    return response


# -- who has seen my data ----------------------------------------------------------------------------
@bp.get("/activity")
def activity() -> str:
    user = guarded_user()
    organisation = request.args.get("organisation") or None
    module = request.args.get("module") or None
    organisations, modules = dashboard.filter_choices(user.id)
    events = dashboard.access_events(user.id, organisation, module)
    return render_template(
        "consent/activity.html",
        events=events,
        organisations=organisations,
        modules=modules,
        chosen_organisation=organisation,
        chosen_module=module,
    )


# -- requests and sharing codes ----------------------------------------------------------------------
@bp.get("/requests", endpoint="requests")
def requests_page() -> str:
    return render_template("consent/requests.html", requests=access_requests.requests_for(guarded_user()))


def _requested_scopes(access_request: Any) -> list[str]:
    return sorted(
        vault_scopes.vault_scope(module, action)
        for module, actions in access_request.modules.items()
        for action in actions
    )


@bp.route("/requests/<request_id>", methods=["GET", "POST"])
def access_request(request_id: str) -> Any:
    user = guarded_user()
    found = access_requests.request_for_user(user, request_id)
    form = ApproveForm()
    form.modules.choices = choices((scope, labels.scope_label(scope)) for scope in _requested_scopes(found))
    if request.method == "GET":
        form.modules.data = _requested_scopes(found)
    if found.status == "pending" and form.validate_on_submit():
        try:
            return _answer(found, user, form)
        except DomainError as error:
            form.add_error(error.message, "modules")
    return _page("consent/request.html", form, access_request=found, client=found.client)


def _answer(found: Any, user: Any, form: ApproveForm) -> Any:
    if form.decision.data == "decline":
        access_requests.decline(found)
        flash("You said no. Nothing has been shared.", "success")
        return redirect(url_for("consent.requests"))
    chosen = vault_scopes.modules_of(form.modules.data or [])
    grant = access_requests.approve(found, user, {module: sorted(actions) for module, actions in chosen.items()})
    flash("You are now sharing this information.", "success")
    return redirect(url_for("consent.grant", grant_id=grant.id))


@bp.route("/code", methods=["GET", "POST"])
def sharing_code() -> Any:
    form = ConfirmForm()
    code = None
    if form.validate_on_submit():
        code = access_requests.create_sharing_code(guarded_user())
    hours = int(access_requests.SHARING_CODE_LIFETIME.total_seconds() // 3600)
    return _page("consent/code.html", form, code=code, hours=hours)
