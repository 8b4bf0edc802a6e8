"""Every endpoint sits behind a guard chosen at registration (GOV.UK Notify's habit)."""

from flask import Flask

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
