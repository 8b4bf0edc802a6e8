"""The one place that decides whether an access token may act on a vault module.

``authorize`` is called by every vault API view before anything is read or written. Today it checks
that the token acts for a citizen and carries ``vault:<module>:<action>``, then the consent grant
(``consent.grant_check.allowing_grant``) and the step-up requirement, the strictest of client, module
(``catalogue.Module.step_up``) and grant, answered with RFC 9470's ``insufficient_user_authentication``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Protocol

from vault import catalogue

Action = Literal["read", "write"]
ACTIONS: tuple[Action, ...] = ("read", "write")


class TokenClaims(Protocol):
    """What the policy reads from ``idp.oauth2.access_tokens.AccessTokenClaims``."""

    user_id: str | None
    client_id: str
    scopes: frozenset[str]
    acr: str | None
    auth_time: int | None
    grant_id: str | None


@dataclass(frozen=True)
class Decision:
    """``allowed``, or the RFC 6750 / RFC 9470 error to answer with and what would have allowed it."""

    allowed: bool
    error: str | None = None
    description: str = ""
    scope: str | None = None
    acr_values: str | None = None
    max_age: int | None = None

    @classmethod
    def allow(cls) -> Decision:
        return cls(True)


def scope_for(module: str, action: Action) -> str:
    return f"vault:{module}:{action}"


def authorize(claims: TokenClaims, module: str, action: Action) -> Decision:
    """May the bearer of ``claims`` ``action`` the citizen's ``module``?"""
    if action not in ACTIONS or module not in catalogue.modules():
        return Decision(False, "insufficient_scope", f"no {action} access to {module}")
    if claims.user_id is None:
        return Decision(False, "insufficient_scope", "this token does not act for a citizen")
    needed = scope_for(module, action)
    if needed not in claims.scopes:
        return Decision(False, "insufficient_scope", f"this call needs the {needed} scope", scope=needed)
    # One query finds the live grant and its own sign-in requirement. The step-up answer still comes
    # before the consent answer, as it did before grants carried a requirement.
    from consent.grant_check import allowing_grant

    grant = allowing_grant(claims, module, action)
    return _step_up_needed(claims, module, grant) or _consent_missing(grant, module, action) or Decision.allow()


def _consent_missing(grant: GrantRequirement | None, module: str, action: Action) -> Decision | None:
    """The citizen's live consent grant, checked on every call: revocation, narrowing and expiry bite at once."""
    if grant is not None:
        return None
    needed = scope_for(module, action)
    return Decision(False, "insufficient_scope", f"the citizen has not allowed {needed}, or withdrew it", scope=needed)


class GrantRequirement(Protocol):
    """What the policy reads from the live-grant row (``consent.grant_check.allowing_grant``)."""

    min_acr: str | None
    max_auth_age: int | None


@dataclass(frozen=True)
class Requirement:
    """What a sign-in must be for a vault call: at least ``acr``, no older than ``max_age`` seconds."""

    acr: str | None = None
    max_age: int | None = None
    why: str = ""

    def stricter(self, acr: str | None, max_age: int | None, why: str = "") -> Requirement:
        from idp.authn.levels import acr_rank, stronger

        ages = [age for age in (self.max_age, max_age) if age is not None]
        shorter = max_age is not None and (self.max_age is None or max_age < self.max_age)
        raised = acr_rank(acr) > acr_rank(self.acr) or shorter
        return Requirement(stronger(self.acr, acr), min(ages) if ages else None, why if raised and why else self.why)


GRANT_WHY = "You asked for a stronger sign-in each time this organisation sees your information."


def requirement(client_id: str, module: str, grant: GrantRequirement | None = None) -> Requirement:
    """The effective requirement of a vault call: the strictest of client, module and the citizen's grant."""
    from clients.services import request_client

    needed = Requirement()
    step_up = catalogue.get(module).step_up
    if step_up is not None:
        needed = needed.stricter(step_up.acr, step_up.max_age, step_up.why)
    client = request_client(client_id)
    if client is not None:
        needed = needed.stricter(client.min_acr, client.max_auth_age, "This service needs a stronger sign-in.")
    if grant is not None and (grant.min_acr is not None or grant.max_auth_age is not None):
        needed = needed.stricter(grant.min_acr, grant.max_auth_age, GRANT_WHY)
    return needed


def _step_up_needed(claims: TokenClaims, module: str, grant: GrantRequirement | None) -> Decision | None:
    """RFC 9470: the token's sign-in is below the required level or older than allowed."""
    from idp.authn.levels import meets

    needed = requirement(claims.client_id, module, grant)
    too_weak = not meets(claims.acr, needed.acr)
    age = None if claims.auth_time is None else time.time() - claims.auth_time
    too_old = needed.max_age is not None and (age is None or age > needed.max_age)
    if not (too_weak or too_old):
        return None
    why = needed.why or "A stronger or more recent sign-in is needed."
    return Decision(False, "insufficient_user_authentication", why, acr_values=needed.acr, max_age=needed.max_age)


def readable_modules(claims: TokenClaims) -> list[str]:
    """The modules this token may read, in catalogue order."""
    return [name for name in catalogue.modules() if authorize(claims, name, "read").allowed]
