"""The OpenID Connect provider: Authlib's authorization server wired once (``server``), thin grants,
a lean token service, discovery and JWKS."""
