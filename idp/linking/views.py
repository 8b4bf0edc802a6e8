"""Service linking pages: proving the service's fact during /authorize, and the citizen's list of links
(blueprint ``linking``, guard ``signed_in``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from clients.services import find_client
from idp.forms import refuse_oversized_forms
from idp.guards import guarded_user, safe_next_url
from idp.linking import services
from idp.linking.forms import LinkForm, RemoveLinkForm

bp = Blueprint("linking", __name__)
refuse_oversized_forms(bp)


@bp.route("/link-service", methods=["GET", "POST"], endpoint="link")
def link() -> Any:
    client = find_client(request.args.get("client_id", ""))
    fact = services.required_fact(client) if client is not None else None
    if client is None or fact is None:
        abort(404)
    next_url = safe_next_url(request.args.get("next"), url_for("linking.overview"))
    form = LinkForm()
    if form.validate_on_submit():
        try:
            services.link(guarded_user(), client, form.reference.data or "", form.check.data or "")
        except services.TooManyLinkAttempts as error:
            form.add_error(error.message)
            return render_template("linking/link.html", form=form, client=client, fact=fact), 429
        except services.LinkRefused as error:
            form.add_error(error.message, error.details.get("field"))
        else:
            return redirect(next_url)
    status = 400 if form.errors else 200
    return render_template("linking/link.html", form=form, client=client, fact=fact), status


@bp.get("/account/linked-services", endpoint="overview")
def overview() -> str:
    links = services.links_of(guarded_user())
    return render_template("linking/overview.html", links=links, form=RemoveLinkForm())


@bp.post("/account/linked-services/<link_id>/remove", endpoint="remove")
def remove(link_id: str) -> Any:
    if RemoveLinkForm().validate_on_submit() and services.remove_link(guarded_user(), link_id):
        flash("The link has been removed. The service will ask you to prove who you are again.", "success")
    return redirect(url_for("linking.overview"))
