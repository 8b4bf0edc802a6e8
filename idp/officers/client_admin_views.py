"""Client administrators' pages under /admin (blueprint ``client_admin``, guard ``requires_role("client_admin")``):
organisations and their OAuth clients. Secrets appear once, in the response that made them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from clients import services
from clients.models import Client, Organisation
from idp.accounts.forms import ConfirmForm
from idp.errors import DomainError
from idp.extensions import db
from idp.forms import Form, refuse_oversized_forms
from idp.guards import guarded_user
from idp.officers import registry
from idp.officers.forms import ORGANISATION_TYPE_NAMES, ClientForm, OrganisationForm, RotateForm
from idp.officers.navigation import add_staff_navigation

bp = Blueprint("client_admin", __name__, url_prefix="/admin")
add_staff_navigation(bp)
refuse_oversized_forms(bp)


def _organisation(organisation_id: str) -> Organisation:
    return db.session.get(Organisation, organisation_id) or abort(404)


def _client(client_id: str) -> Client:
    return services.find_client(client_id) or abort(404)


def _page(template: str, form: Form, **context: Any) -> tuple[str, int]:
    context.setdefault("type_names", ORGANISATION_TYPE_NAMES)
    return render_template(template, form=form, **context), 400 if form.errors else 200


@bp.get("")
def organisations() -> str:
    return render_template(
        "officers/admin/organisations.html",
        organisations=registry.list_organisations(),
        type_names=ORGANISATION_TYPE_NAMES,
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation() -> Any:
    form = OrganisationForm()
    if form.validate_on_submit():
        organisation = registry.create_organisation(guarded_user(), form.name.data, form.type.data)
        flash(f"{organisation.name} has been added.", "success")
        return redirect(url_for("client_admin.organisation", organisation_id=organisation.id))
    return _page("officers/admin/organisation_form.html", form)


@bp.get("/organisations/<organisation_id>")
def organisation(organisation_id: str) -> str:
    return render_template(
        "officers/admin/organisation.html",
        organisation=_organisation(organisation_id),
        type_names=ORGANISATION_TYPE_NAMES,
    )


@bp.route("/organisations/<organisation_id>/clients/new", methods=["GET", "POST"])
def new_client(organisation_id: str) -> Any:
    owner = _organisation(organisation_id)
    form = ClientForm()
    if form.validate_on_submit():
        metadata = form.metadata()
        try:
            client, secret = registry.create_client(
                guarded_user(), owner, token_endpoint_auth_method=form.auth_method.data, **metadata
            )
        except DomainError as error:
            form.add_error(error.message)
        else:
            return render_template("officers/admin/secret.html", client=client, secret=secret, created=True)
    return _page("officers/admin/client_form.html", form, organisation=owner, client=None)


@bp.get("/clients/<client_id>")
def client(client_id: str) -> str:
    return render_template(
        "officers/admin/client.html", client=_client(client_id), rotate_form=RotateForm(), confirm=ConfirmForm()
    )


@bp.route("/clients/<client_id>/edit", methods=["GET", "POST"])
def edit_client(client_id: str) -> Any:
    found = _client(client_id)
    form = ClientForm(data=_form_data(found))
    form.auth_method.data = found.token_endpoint_auth_method  # fixed at registration
    if form.validate_on_submit():
        try:
            changed = registry.update_client(guarded_user(), found, form.metadata())
        except DomainError as error:
            db.session.rollback()
            form.add_error(error.message)
        else:
            flash(f"Saved: {', '.join(changed) or 'nothing changed'}.", "success")
            return redirect(url_for("client_admin.client", client_id=found.client_id))
    return _page("officers/admin/client_form.html", form, organisation=found.organisation, client=found)


def _form_data(client: Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "purpose": client.purpose or "",
        "allowed_modules": list(client.allowed_modules or []),
        "max_auth_age": client.max_auth_age,
        "logo_uri": client.logo_uri or "",
        "redirect_uris": "\n".join(client.redirect_uris),
        "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
        "scope": " ".join(scope for scope in client.scope.split() if scope != "openid"),
        "min_acr": client.min_acr or "",
        "min_identity_level": client.min_identity_level or "",
        "contact": (client.contacts or [""])[0],
        "jwks": json.dumps(client.jwks, indent=2) if client.jwks else "",
    }


@bp.post("/clients/<client_id>/rotate-secret")
def rotate_secret(client_id: str) -> Any:
    found = _client(client_id)
    form = RotateForm()
    if not form.validate_on_submit():
        return render_template("officers/admin/client.html", client=found, rotate_form=form, confirm=ConfirmForm()), 400
    try:
        secret = registry.rotate_secret(guarded_user(), found, timedelta(hours=form.overlap_hours.data))
    except DomainError as error:
        form.add_error(error.message, "overlap_hours")
        return render_template("officers/admin/client.html", client=found, rotate_form=form, confirm=ConfirmForm()), 400
    return render_template("officers/admin/secret.html", client=found, secret=secret, created=False)


@bp.post("/clients/<client_id>/disable")
def disable_client(client_id: str) -> Any:
    found = _client(client_id)
    if ConfirmForm().validate_on_submit():
        registry.disable_client(guarded_user(), found)
        flash(f"{found.name} is disabled and its tokens are revoked.", "success")
    return redirect(url_for("client_admin.client", client_id=found.client_id))
