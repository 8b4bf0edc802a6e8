"""All configuration in one place.

A config class per environment, chosen by ``LOGBOOK_ENV``; every setting can be overridden from the
environment so that deployments never edit code. Production refuses to start on development defaults.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "logbook-development-secret-do-not-use-in-production"


class ConfigurationError(RuntimeError):
    """The app was asked to start with settings that are unsafe for its environment."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = "base"
    SECRET_KEY = _env("SECRET_KEY", DEV_SECRET_KEY)
    ISSUER = _env("LOGBOOK_ISSUER", "http://127.0.0.1:5000")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'logbook.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    REDIS_URL = _env("REDIS_URL")
    KEYS_DIR = Path(_env("LOGBOOK_KEYS_DIR", str(PROJECT_ROOT / "keys")))  # type: ignore[arg-type]
    # A base64url 256-bit key-encryption key for the vault; when unset it is generated into KEYS_DIR.
    VAULT_KEK = _env("LOGBOOK_VAULT_KEK")

    # Sessions: the cookie carries only a random session token, the record lives in the database.
    SESSION_COOKIE_NAME = "logbook_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("LOGBOOK_SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("LOGBOOK_SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
    # A session raised to a second factor or passkey counts as password-only again after this long (issue 5).
    ELEVATED_LEVEL_LIFETIME = timedelta(minutes=_env_int("LOGBOOK_ELEVATED_LEVEL_MINUTES", 60))
    # Staff pages need a second factor or passkey used within this many seconds (issue 6).
    STAFF_AUTH_MAX_AGE = _env_int("LOGBOOK_STAFF_AUTH_MAX_AGE", 3600)
    HSTS = True

    # Request limits: a 1 MB password must be refused quickly, never hashed.
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_FORM_MEMORY_SIZE = 64 * 1024

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session it is bound to

    # Password hashing (argon2id). Defaults follow argon2-cffi's RFC 9106 low-memory profile.
    ARGON2_TIME_COST = _env_int("LOGBOOK_ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("LOGBOOK_ARGON2_MEMORY_KIB", 65536)
    ARGON2_PARALLELISM = _env_int("LOGBOOK_ARGON2_PARALLELISM", 4)

    # Rate limits (Flask-Limiter); storage is shared Redis on the scale-out path.
    RATELIMIT_STORAGE_URI = _env("REDIS_URL", "memory://")
    # Several deployments (or test runs) may share one Redis: each counts under its own prefix.
    RATELIMIT_KEY_PREFIX = _env("LOGBOOK_RATELIMIT_KEY_PREFIX", "")
    RATELIMIT_HEADERS_ENABLED = True
    # How many trusted proxies (load balancers) stand in front and append to X-Forwarded-For; 0: none.
    PROXY_HOPS = _env_int("LOGBOOK_PROXY_HOPS", 0)
    SIGN_IN_LIMIT_PER_ACCOUNT = _env("LOGBOOK_SIGN_IN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour")
    SIGN_IN_LIMIT_PER_ADDRESS = _env("LOGBOOK_SIGN_IN_LIMIT_PER_ADDRESS", "30 per minute;300 per hour")

    # Mail and text messages: a real outbox. "file" writes .eml files, "console" prints, "smtp" sends.
    MAIL_BACKEND = _env("LOGBOOK_MAIL_BACKEND", "file")
    MAIL_OUTBOX_DIR = Path(_env("LOGBOOK_OUTBOX_DIR", str(PROJECT_ROOT / "instance" / "outbox")))  # type: ignore[arg-type]
    MAIL_SENDER = _env("LOGBOOK_MAIL_SENDER", "Logbook <no-reply@logbook.localhost>")
    SMTP_HOST = _env("SMTP_HOST")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", True)

    # OAuth 2.0 / OpenID Connect lifetimes.
    AUTHORIZATION_CODE_LIFETIME = 60
    ACCESS_TOKEN_LIFETIME = _env_int("LOGBOOK_ACCESS_TOKEN_SECONDS", 300)
    ID_TOKEN_LIFETIME = _env_int("LOGBOOK_ID_TOKEN_SECONDS", 300)
    REFRESH_TOKEN_LIFETIME = _env_int("LOGBOOK_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600)
    SIGNING_ALGORITHM = _env("LOGBOOK_SIGNING_ALG", "ES256")

    # Operations: JSON logs on stderr, one access line per request; Prometheus at /metrics when switched on.
    LOG_LEVEL = _env("LOGBOOK_LOG_LEVEL", "INFO")
    ACCESS_LOG = _env_bool("LOGBOOK_ACCESS_LOG", True)
    METRICS_ENABLED = _env_bool("LOGBOOK_METRICS", False)
    METRICS_TOKEN = _env("LOGBOOK_METRICS_TOKEN")
    # Client-credentials token issue and introspection answered before werkzeug and Flask (idp.oauth2.fast_path).
    TOKEN_FAST_PATH = _env_bool("LOGBOOK_TOKEN_FAST_PATH", True)

    SERVICE_NAME = "Logbook"
    COUNCIL_NAME = _env("LOGBOOK_COUNCIL_NAME", "Your council")
    # Who people write to about their information (UK GDPR articles 13-15) and about accessibility problems
    # (the accessibility regulations 2018), named on /privacy and /accessibility. The defaults are placeholders
    # for development.
    DATA_PROTECTION_EMAIL = _env("LOGBOOK_DATA_PROTECTION_EMAIL", "data.protection@council.example")
    ACCESSIBILITY_EMAIL = _env("LOGBOOK_ACCESSIBILITY_EMAIL", "accessibility@council.example")
    COUNCIL_POSTAL_ADDRESS = _env("LOGBOOK_COUNCIL_POSTAL_ADDRESS", "Council Offices, 1 High Street, Anytown, AN1 1AA")

    def validate(self) -> None:
        """Raise ConfigurationError when the settings are unsafe for this environment."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    HSTS = False
    MAIL_BACKEND = _env("LOGBOOK_MAIL_BACKEND", "file")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    HSTS = False
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = _env("TEST_REDIS_URL", "memory://")
    # Cheap hashes keep the suite fast; the production cost is checked by its own test.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_NAME = "__Host-logbook_session"
    SESSION_COOKIE_SECURE = True

    def validate(self) -> None:
        if not self.SECRET_KEY or self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigurationError("SECRET_KEY must be set to a random value of at least 32 characters")
        if not str(self.ISSUER).startswith("https://"):
            raise ConfigurationError("LOGBOOK_ISSUER must be an https:// URL in production")
        if str(self.SQLALCHEMY_DATABASE_URI).startswith("sqlite://") and not _env_bool("LOGBOOK_ALLOW_SQLITE", False):
            raise ConfigurationError("Set DATABASE_URL (or LOGBOOK_ALLOW_SQLITE=1 for a single host)")
        # memory:// counts per worker process: N workers would allow N times the sign-in attempts.
        per_process = str(self.RATELIMIT_STORAGE_URI).startswith("memory://")
        if per_process and not _env_bool("LOGBOOK_ALLOW_MEMORY_LIMITS", False):
            raise ConfigurationError("Set REDIS_URL (or LOGBOOK_ALLOW_MEMORY_LIMITS=1 for one worker process)")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Pick the config class from LOGBOOK_ENV, apply overrides, and validate the result."""
    env_name = (overrides or {}).get("ENV_NAME") or _env("LOGBOOK_ENV", "development")
    if env_name not in CONFIGS:
        raise ConfigurationError(f"LOGBOOK_ENV must be one of {', '.join(CONFIGS)}, not {env_name!r}")
    config = CONFIGS[env_name]()
    for key, value in (overrides or {}).items():
        setattr(config, key, value)
    config.validate()
    return {key: getattr(config, key) for key in dir(config) if key.isupper()}
