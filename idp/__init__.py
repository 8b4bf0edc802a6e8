"""Logbook identity provider: accounts, sign-in, sessions and the OpenID Connect provider."""
