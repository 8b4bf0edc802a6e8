"""The authorization endpoint's service-linking check (see ``idp.oauth2.authorize.CHECKS``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oidc.core.errors import InteractionRequiredError
from flask import redirect, url_for
from werkzeug.wrappers import Response

from idp.linking.services import link_for, required_fact, touch

if TYPE_CHECKING:
    from idp.oauth2.authorize import AuthorizationRequest


def service_linked(request: AuthorizationRequest) -> Response | None:
    """A service that requires linking sees the citizen only once they have proved its fact; a linked
    citizen's link is marked used. prompt=none cannot show the page: interaction_required."""
    if request.login is None:  # runs after signed_in; never rely on an assert (python -O strips them)
        from idp.oauth2.authorize import signed_in

        return signed_in(request)
    if required_fact(request.client) is None:
        return None
    link = link_for(request.login.user_id, request.client.client_id)
    if link is not None:
        touch(link)
        return None
    if "none" in request.prompts:
        raise request.error(InteractionRequiredError, "The person has not linked their account with this service.")
    return redirect(url_for("linking.link", client_id=request.client.client_id, next=request.url))
