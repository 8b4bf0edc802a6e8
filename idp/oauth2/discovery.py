"""OpenID Connect Discovery 1.0 section 3 / RFC 8414: what this provider offers, from its own settings."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from consent.scopes import ACTIONS, AUTHORIZATION_DETAILS_TYPE, vault_scope
from idp.authn.levels import AUTHENTICATION_LEVELS
from idp.oauth2.grants import AUTH_METHODS
from idp.oauth2.id_tokens import IDENTITY_LEVEL_CLAIM, SCOPE_CLAIMS, VERIFIED_CLAIMS_SCOPE
from idp.oauth2.tokens import OFFLINE_ACCESS
from vault.catalogue import MODULE_NAMES

SIGNING_ALGS = ["ES256", "RS256"]


def _endpoint(name: str) -> str:
    return str(current_app.config["ISSUER"]) + url_for(name)


def metadata() -> dict[str, Any]:
    claims = sorted(
        {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash"}
        | {claim for names in SCOPE_CLAIMS.values() for claim in names}
        | {"verified_claims", IDENTITY_LEVEL_CLAIM}
    )
    return {
        "issuer": current_app.config["ISSUER"],
        "authorization_endpoint": _endpoint("oauth2.authorize"),
        "token_endpoint": _endpoint("oauth2.token"),
        "userinfo_endpoint": _endpoint("oauth2.userinfo"),
        "jwks_uri": _endpoint("oauth2.jwks"),
        "revocation_endpoint": _endpoint("oauth2.revoke"),
        "introspection_endpoint": _endpoint("oauth2.introspect"),
        "end_session_endpoint": _endpoint("oauth2.end_session"),
        "scopes_supported": ["openid", *SCOPE_CLAIMS, VERIFIED_CLAIMS_SCOPE, OFFLINE_ACCESS, *_vault_scopes()],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": SIGNING_ALGS,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": SIGNING_ALGS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [level.value for level in AUTHENTICATION_LEVELS],
        "claims_supported": claims,
        "claims_parameter_supported": True,  # for verified_claims (idp.oauth2.claims_request)
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["en-GB"],
        "claim_types_supported": ["normal"],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "authorization_details_types_supported": [AUTHORIZATION_DETAILS_TYPE],  # RFC 9396 section 10
        **identity_assurance(),
    }


def identity_assurance() -> dict[str, Any]:
    """OpenID Connect for Identity Assurance 1.0 section 10: what ``verified_claims`` may contain."""
    from idp.officers import identity

    return {
        "verified_claims_supported": True,
        "trust_frameworks_supported": [identity.TRUST_FRAMEWORK],
        "evidence_supported": ["document"],
        "documents_supported": sorted({kind for _, kind, _ in identity.DOCUMENTS.values()}),
        "documents_check_methods_supported": [identity.CHECK_METHOD],
        "documents_methods_supported": [identity.METHOD],
        "claims_in_verified_claims_supported": ["given_name", "family_name", "birthdate", "address"],
    }


def _vault_scopes() -> list[str]:
    """Every ``vault:<module>:<action>`` a partner can ask for, so its developers need not guess module names."""
    return [vault_scope(module, action) for module in MODULE_NAMES for action in ACTIONS]
