"""Extension singletons, bound to an app in the factory."""

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
csrf = CSRFProtect()


class ViewLimiter(Limiter):
    """Flask-Limiter with limits on views only: sign-in, registration, reset, second factors (each a
    ``limiter.limit`` decorator, which checks itself when its view runs). Flask-Limiter 4 has no
    ``auto_check=False``, and its app-wide ``before_request`` check could only apply default, application
    or blueprint limits, which Logbook does not have (a test keeps it so), so it is dropped: it cost
    100-200 µs on every request, the token endpoint's included (docs/benchmarks.md). The after-request hook
    stays: it deducts conditional limits (only failed attempts count) and adds the rate-limit headers."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if self.limit_manager.default_limits or self.limit_manager.application_limits:
            raise RuntimeError("Logbook rate limits are view decorators: default and app-wide limits are not applied")
        hooks = app.before_request_funcs.get(None, [])
        if self._check_request_limit in hooks:
            hooks.remove(self._check_request_limit)


limiter = ViewLimiter(key_func=get_remote_address, default_limits=[])
