"""The citizen's vault pages under /vault (blueprint ``vault``, guard ``signed_in``)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for

from idp.accounts import throttle
from idp.accounts.sessions import current_session
from idp.authn import step_up as authn_step_up
from idp.authn.levels import acr_rank
from idp.database import utcnow
from idp.forms import Form, refuse_oversized_forms
from idp.guards import guarded_user
from vault import catalogue, display, erasure, export, held_forms, services
from vault.forms import ConfirmDeleteRecordForm, DeleteAccountForm, RecordForm
from vault.services import Provenance

bp = Blueprint("vault", __name__, url_prefix="/vault")
refuse_oversized_forms(bp)
bp.context_processor(display.template_helpers)


# The export holds every module, so it asks for the strictest step-up any module has.
EVERY_MODULE_ENDPOINTS = {"vault.download", "vault.download_json"}


@bp.before_request
def sensitive_modules_need_step_up() -> Any:
    """Issue 5 / issue 3: a module's step-up policy (health and benefits: a second factor within 15
    minutes) holds for the citizen's own pages too; they step up and come back."""
    module = (request.view_args or {}).get("module")
    if request.endpoint in EVERY_MODULE_ENDPOINTS:
        policies = [spec.step_up for spec in catalogue.modules().values() if spec.step_up]
    else:
        spec = catalogue.modules().get(module) if isinstance(module, str) else None
        policies = [spec.step_up] if spec and spec.step_up else []
    if not policies:
        return None
    if authn_step_up.was_cancelled(request.args):
        flash("You need to confirm it is you before you can see that information.", "info")
        return redirect(url_for("vault.home"))
    strictest = max(policies, key=lambda policy: (acr_rank(policy.acr), -policy.max_age))
    answer = authn_step_up.own_data_redirect(strictest.acr, min(policy.max_age for policy in policies))
    if answer is not None:
        _hold_what_was_typed()
    return answer


# Record forms whose POST can find the step-up lapsed: what the citizen typed is held across the step-up.
FORM_ENDPOINTS = {"vault.add_record", "vault.change_record"}


def _hold_what_was_typed() -> None:
    """The step-up lapsed while the citizen typed (the GET asked for it first): keep the form, sealed
    server-side, for the page to show again afterwards. CSRF has already been checked (CSRFProtect)."""
    login = current_session()
    if request.method != "POST" or request.endpoint not in FORM_ENDPOINTS or login is None:
        return
    fields = {name: value for name, value in request.form.items() if name != "csrf_token"}
    held_forms.hold(login.user_id, login.id, request.path, fields)


def _take_held(form: RecordForm) -> bool:
    """On the GET after a step-up, fill ``form`` with what was held for this page (once). True if so."""
    login = current_session()
    if request.method != "GET" or login is None:
        return False
    held = held_forms.take(login.user_id, login.id, request.path)
    if held is None:
        return False
    form.typed = held
    return True


def _page(template: str, form: Form, **context: Any) -> tuple[str, int]:
    return render_template(template, form=form, **context), 400 if form.errors else 200


@bp.get("")
def home() -> str:
    counts = services.counts_by_module(guarded_user().id)
    return render_template("vault/home.html", modules=catalogue.modules().values(), counts=counts)


@bp.get("/<module>")
def module_page(module: str) -> str:
    spec = catalogue.get(module)
    records = services.list_records(guarded_user().id, module)
    return render_template("vault/module.html", module=spec, records=records)


@bp.route("/<module>/add/<kind>", methods=["GET", "POST"])
def add_record(module: str, kind: str) -> Any:
    spec = catalogue.get(module)
    form = RecordForm(module, spec.kind(kind))
    held = _take_held(form)
    if form.validate_on_submit():
        record = services.create_record(guarded_user().id, module, form.record, Provenance.citizen())
        flash(f"{form.kind.title} added", "success")
        return redirect(url_for("vault.record_page", module=module, record_id=record.id))
    return _page("vault/record_form.html", form, module=spec, record=None, held=held)


@bp.get("/<module>/<record_id>")
def record_page(module: str, record_id: str) -> str:
    spec = catalogue.get(module)
    versions = services.history(guarded_user().id, module, record_id)
    superseded = services.superseded_attestation(versions)
    return render_template(
        "vault/record.html", module=spec, record=versions[0], versions=versions, superseded=superseded
    )


@bp.route("/<module>/<record_id>/change", methods=["GET", "POST"])
def change_record(module: str, record_id: str) -> Any:
    spec = catalogue.get(module)
    record = services.get_record(guarded_user().id, module, record_id)
    form = RecordForm(module, spec.kind(record.kind), stored=record.data)
    held = _take_held(form)
    if form.validate_on_submit():
        seen = form.seen_version(record.version)
        services.update_record(guarded_user().id, module, record_id, form.record, Provenance.citizen(), seen)
        flash(f"{form.kind.title} updated", "success")
        return redirect(url_for("vault.record_page", module=module, record_id=record_id))
    return _page("vault/record_form.html", form, module=spec, record=record, held=held)


@bp.route("/<module>/<record_id>/delete", methods=["GET", "POST"])
def delete_record(module: str, record_id: str) -> Any:
    spec = catalogue.get(module)
    record = services.get_record(guarded_user().id, module, record_id)
    form = ConfirmDeleteRecordForm()
    if form.validate_on_submit():
        services.delete_record(guarded_user().id, module, record_id)
        flash(f"{spec.kind(record.kind).title} deleted, with all its earlier versions", "success")
        return redirect(url_for("vault.module_page", module=module))
    return _page("vault/delete_record.html", form, module=spec, record=record)


@bp.get("/download")
def download() -> str:
    """Everything, as a page that reads well on screen and prints well."""
    user_id = guarded_user().id
    sections = [(module, services.list_records(user_id, module.name)) for module in catalogue.modules().values()]
    return render_template("vault/export.html", sections=sections, made_at=utcnow())


@bp.get("/download.json")
def download_json() -> Response:
    body = json.dumps(export.export_all(guarded_user().id), indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="logbook-vault.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete-account", methods=["GET", "POST"])
@throttle.sign_in_per_address
def delete_account() -> Any:
    """Delete the account: confirmation plus password re-entry, then crypto-shredding."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if form.confirm.data != "yes":
            return redirect(url_for("vault.home"))
        try:
            erasure.delete_account(guarded_user(), form.password.data or "")
        except erasure.WrongPassword as error:
            form.add_error(error.message, "password")
        else:
            session.clear()
            flash("Your account has been deleted. Everything in your vault has been destroyed.", "success")
            return redirect(url_for("main.start"))
    return _page("vault/delete_account.html", form)
