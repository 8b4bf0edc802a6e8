"""The ``claims`` request parameter (OIDC Core section 5.5), for ``verified_claims`` (OpenID Connect for
Identity Assurance 1.0, "Requesting Verified Claims").

A relying party names, under ``id_token`` and/or ``userinfo``, the verified claims it needs and may
constrain the verification (``trust_framework`` ``value``/``values``, ``time`` ``max_age``, and the
evidence ``type``, ``method``, ``check_details.check_method`` and ``document_details.type``). We release
only what was asked for, only where it was asked for, and omit ``verified_claims`` altogether when the
citizen's verification does not meet a constraint (the OP never returns an error for an unmet one).

Without a ``claims`` parameter naming ``verified_claims``, the ``identity_assurance`` scope releases the
whole element in both places. Either way the citizen's consent to that scope for this relying party is
needed (``idp.oauth2.id_tokens.assurance_claims``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

TARGETS = ("id_token", "userinfo")
PURPOSE_LENGTH = (3, 300)  # IDA: a purpose outside this length fails the request with invalid_request


class InvalidClaimsRequest(ValueError):
    """OIDC Core 5.5 / IDA: a claims parameter we cannot make sense of; answered with invalid_request."""


def parse(raw: str | None) -> dict[str, Any] | None:
    """The ``verified_claims`` requests of a ``claims`` parameter, by target, or None when it names none.
    Other members (individual standard claims) are left to the scopes, as OIDC Core allows."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise InvalidClaimsRequest("claims must be a JSON object.") from error
    if not isinstance(value, dict):
        raise InvalidClaimsRequest("claims must be a JSON object.")
    found = {}
    for target in TARGETS:
        member = value.get(target)
        if member is not None and not isinstance(member, dict):
            raise InvalidClaimsRequest(f"claims.{target} must be a JSON object.")
        if member and "verified_claims" in member:
            found[target] = _checked(member["verified_claims"], target)
    return found or None


def _checked(request: Any, target: str) -> dict[str, Any]:
    where = f"claims.{target}.verified_claims"
    if not isinstance(request, dict):
        raise InvalidClaimsRequest(f"{where} must be a JSON object.")
    claims = request.get("claims")
    if not isinstance(claims, dict) or not claims:
        raise InvalidClaimsRequest(f"{where}.claims must name at least one claim.")
    for name, detail in claims.items():
        if detail is not None and not isinstance(detail, dict):
            raise InvalidClaimsRequest(f"{where}.claims.{name} must be null or a JSON object.")
        purpose = (detail or {}).get("purpose")
        if purpose is not None and not (
            isinstance(purpose, str) and PURPOSE_LENGTH[0] <= len(purpose) <= PURPOSE_LENGTH[1]
        ):
            raise InvalidClaimsRequest(f"{where}.claims.{name}.purpose must be 3 to 300 characters.")
    verification = request.get("verification")
    if verification is not None and not isinstance(verification, dict):
        raise InvalidClaimsRequest(f"{where}.verification must be a JSON object.")
    return {"claims": claims, "verification": verification or {}}


def release(verified: dict[str, Any], requests: dict[str, Any] | None, target: str) -> dict[str, Any] | None:
    """What of the citizen's full ``verified`` element to put in ``target`` (id_token or userinfo)."""
    if not requests:
        return verified  # asked for by scope alone: the whole element, in both places
    request = requests.get(target)
    if request is None or not _meets(verified["verification"], request["verification"]):
        return None
    evidence = _matching_evidence(verified["verification"].get("evidence", []), request["verification"])
    if evidence is None:
        return None
    claims = {name: value for name, value in verified["claims"].items() if name in request["claims"]}
    if not claims:
        return None  # nothing asked for is held as verified
    return {"verification": {**verified["verification"], "evidence": evidence}, "claims": claims}


def _allowed(value: Any, constraint: Any) -> bool:
    """OIDC Core 5.5.1 ``value`` / ``values`` on one member; anything else constrains nothing."""
    if not isinstance(constraint, dict):
        return True
    if "value" in constraint and value != constraint["value"]:
        return False
    values = constraint.get("values")
    return not (isinstance(values, list) and value not in values)


def _meets(verification: dict[str, Any], wanted: dict[str, Any]) -> bool:
    if not _allowed(verification.get("trust_framework"), wanted.get("trust_framework")):
        return False
    max_age = (wanted.get("time") or {}).get("max_age") if isinstance(wanted.get("time"), dict) else None
    if isinstance(max_age, int) and not isinstance(max_age, bool):
        verified_at = datetime.strptime(verification["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if (datetime.now(UTC) - verified_at).total_seconds() > max_age:
            return False
    return True


def _matching_evidence(evidence: list[dict[str, Any]], wanted: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The evidence entries meeting the prototype (IDA: one entry stands for every entry), or None when
    a constraint was given and no entry meets it."""
    prototypes = wanted.get("evidence")
    if not isinstance(prototypes, list) or not prototypes or not isinstance(prototypes[0], dict):
        return evidence
    prototype = prototypes[0]
    kept = [entry for entry in evidence if _evidence_meets(entry, prototype)]
    return kept or None


def _evidence_meets(entry: dict[str, Any], prototype: dict[str, Any]) -> bool:
    checks = prototype.get("check_details")
    if isinstance(checks, list) and checks and isinstance(checks[0], dict):
        wanted_method = checks[0].get("check_method")
        methods = [check.get("check_method") for check in entry.get("check_details", [])]
        if not any(_allowed(method, wanted_method) for method in methods):
            return False
    document = prototype.get("document_details")
    document_type = document.get("type") if isinstance(document, dict) else None
    return (
        _allowed(entry.get("type"), prototype.get("type"))
        and _allowed(entry.get("method"), prototype.get("method"))
        and _allowed((entry.get("document_details") or {}).get("type"), document_type)
    )


def purposes(requests: dict[str, Any] | None) -> list[str]:
    """IDA: the OP MUST show the consent screen the ``purpose`` a relying party gave for a verified claim."""
    found: dict[str, None] = {}
    for request in (requests or {}).values():
        for detail in request["claims"].values():
            if detail and isinstance(detail.get("purpose"), str):
                found[detail["purpose"]] = None
    return list(found)
