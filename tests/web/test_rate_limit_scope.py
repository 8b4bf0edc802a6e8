"""Rate limits live on the views that guess-and-check attacks aim at, and nowhere else
(``idp.extensions.ViewLimiter``): the protocol endpoints do not pay for a limiter check."""

from __future__ import annotations

from flask import Flask

from idp.extensions import limiter


def test_every_rate_limit_is_a_view_decorator(app: Flask) -> None:
    """Default, application-wide and blueprint limits would need the app-wide check that is dropped."""
    manager = limiter.limit_manager
    assert manager.default_limits == [] and manager.application_limits == []
    assert not any(manager.blueprint_limits(app, name) for name in app.blueprints)


def test_the_limiter_does_not_check_every_request(app: Flask) -> None:
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
