"""Every endpoint sits behind a guard chosen at registration (GOV.UK Notify's habit)."""

from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException

from idp.guards import guarded_user

# Endpoints the app itself owns: static files and front-end assets only.
APP_LEVEL_ENDPOINTS = {"static", "assets", "frontend"}


def test_every_endpoint_belongs_to_a_guarded_blueprint(app: Flask) -> None:
    guarded = app.extensions["logbook_guards"]
    unguarded = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in APP_LEVEL_ENDPOINTS and rule.endpoint.split(".")[0] not in guarded
    ]
    assert unguarded == []


def test_citizen_pages_are_not_registered_as_public(app: Flask) -> None:
    public = {name for name, guard in app.extensions["logbook_guards"].items() if guard == "public"}
    assert not public & {"vault", "consent", "officers", "account"}


def test_guarded_user_sends_a_page_request_without_a_sign_in_to_sign_in(app: Flask) -> None:
    """A view that reached ``guarded_user`` without its guard answers as ``signed_in`` would, even
    under ``python -O`` (no ``assert``)."""
    with app.test_request_context("/account?tab=1", method="GET"):
        with pytest.raises(HTTPException) as raised:
            guarded_user()
    response = raised.value.get_response()
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?" + urlencode({"next": "/account?tab=1"})


def test_guarded_user_refuses_a_form_post_without_a_sign_in_with_401(app: Flask) -> None:
    with app.test_request_context("/account/sessions/end-all", method="POST"):
        with pytest.raises(HTTPException) as raised:
            guarded_user()
    assert raised.value.get_response().status_code == 401
