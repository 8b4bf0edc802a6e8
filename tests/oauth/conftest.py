"""Fixtures for the protocol tests: a live back-channel logout receiver (``receiver``)."""

from tests.oauth.logout_receiver import receiver  # noqa: F401  (a fixture, found by name)
