"""Configuration: safe defaults, and production refuses to start on development secrets."""

import pytest

from idp.config import DEV_SECRET_KEY, ConfigurationError, load_config

GOOD_PRODUCTION = {
    "ENV_NAME": "production",
    "SECRET_KEY": "x" * 40,
    "ISSUER": "https://id.example.gov.uk",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/logbook",
    "RATELIMIT_STORAGE_URI": "redis://cache:6379/0",
}


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config({**GOOD_PRODUCTION, "SECRET_KEY": DEV_SECRET_KEY})


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config({**GOOD_PRODUCTION, "SECRET_KEY": "short"})


def test_production_requires_an_https_issuer() -> None:
    with pytest.raises(ConfigurationError, match="https"):
        load_config({**GOOD_PRODUCTION, "ISSUER": "http://id.example.gov.uk"})


def test_production_uses_host_prefixed_secure_cookies() -> None:
    config = load_config(GOOD_PRODUCTION)
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["HSTS"] is True


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="LOGBOOK_ENV"):
        load_config({"ENV_NAME": "staging-ish"})


def test_production_refuses_rate_limits_counted_in_each_process() -> None:
    """DESIGN: "Redis for rate limits ... nothing that must be shared lives in process memory": with
    memory:// every worker would count sign-in failures on its own."""
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        load_config({**GOOD_PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"})
