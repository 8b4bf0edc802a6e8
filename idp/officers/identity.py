"""In-person identity checks and what they let the OpenID provider say about a citizen.

``identity_level(user)`` gives the identity level (see ``idp.authn.levels``); ``verified_claims(user)``
gives OpenID Connect for Identity Assurance 1.0 ``verified_claims`` for the latest check, which the
provider may release to a relying party that asks for them, with the citizen's consent.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, select

from idp import audit
from idp.accounts.models import User
from idp.authn.levels import IDENTITY_SELF_ASSERTED, IDENTITY_VERIFIED_IN_PERSON
from idp.errors import DomainError
from idp.extensions import db
from idp.officers.citizens import Details, record_details
from idp.officers.models import ROLE_OFFICER, IdentityCheck
from idp.prepared import Prepared

TRUST_FRAMEWORK = "uk_tfida"  # the UK digital identity and attributes trust framework (IDA predefined value)
CHECK_METHOD = "vpip"  # IDA: validity check by physical inspection of the document, in person
# IDA implementer's draft 3 names the whole process instead: physical in-person proofing. Both are given,
# so relying parties built on either version of the spec read the same evidence.
METHOD = "pipp"
MEMO_KEY = "logbook.identity_checks"
LEVEL_MEMO_KEY = "logbook.identity_levels"
# Our document names -> IDA document types. Photographic documents can prove who someone is.
DOCUMENTS = {
    "passport": ("Passport", "passport", True),
    "driving_licence": ("Photocard driving licence", "driving_permit", True),
    "residence_permit": ("Biometric residence permit", "residence_permit", True),
    "birth_certificate": ("Birth certificate", "birth_certificate", False),
    "utility_bill": ("Utility bill from the last 3 months", "utility_statement", False),
    "bank_statement": ("Bank statement from the last 3 months", "bank_statement", False),
}


_checks = IdentityCheck.__table__


class IdentityCheckRefused(DomainError):
    code = "identity_check_refused"


def record_check(
    officer: User, user: User, details: Details, documents: list[str], assisted_session_id: str | None = None
) -> IdentityCheck:
    """Record that ``officer`` saw ``documents`` proving ``details`` today; at least one must carry a photo."""
    unknown = [name for name in documents if name not in DOCUMENTS]
    if unknown or not documents:
        raise IdentityCheckRefused("Select the documents you have seen", field="documents")
    if not any(DOCUMENTS[name][2] for name in documents):
        raise IdentityCheckRefused("Select at least one photographic document", field="documents")
    _request_memo().pop(user.id, None)
    _request_memo(LEVEL_MEMO_KEY).pop(user.id, None)
    row = record_details(user, details, "identity_check", officer)
    db.session.flush()
    check = IdentityCheck(
        user_id=user.id,
        details_id=row.id,
        documents=list(dict.fromkeys(documents)),
        officer_id=officer.id,
        officer_name=officer.display_name,
        assisted_session_id=assisted_session_id,
    )
    db.session.add(check)
    db.session.flush()
    audit.record(
        officer,
        ROLE_OFFICER,
        "identity.checked",
        subject_user_id=user.id,
        target=check.id,
        details={"documents": check.documents, "level": IDENTITY_VERIFIED_IN_PERSON.value},
        assisted_session_id=assisted_session_id,
    )
    return check


def latest_check(user_id: str) -> IdentityCheck | None:
    """Read once per request: a token response asks for it twice (the access token's identity level, the ID
    token's), and so may a page. ``record_check`` forgets it, so the request that records sees the new one."""
    memo = _request_memo()
    if user_id not in memo:
        memo[user_id] = db.session.scalar(
            select(IdentityCheck).where(IdentityCheck.user_id == user_id).order_by(IdentityCheck.checked_at.desc())
        )
    return memo[user_id]


def _request_memo(key: str = MEMO_KEY) -> dict[str, Any]:
    """Kept on the request (not on ``g``, which a test or CLI app context may share across requests)."""
    return request.environ.setdefault(key, {}) if has_request_context() else {}


# Whether the citizen has any check: all the identity level needs, asked by every token and userinfo answer
# (idp.prepared), where loading the latest check with its details cost more than the rest of the lookup.
_ANY_CHECK = Prepared(select(_checks.c.id).where(_checks.c.user_id == bindparam("user_id")).limit(1))


def identity_level(user_id: str) -> str:
    """``verified-in-person`` once an officer has recorded a check, else ``self-asserted``."""
    loaded = _request_memo()
    if user_id in loaded:
        return IDENTITY_VERIFIED_IN_PERSON.value if loaded[user_id] else IDENTITY_SELF_ASSERTED.value
    levels = _request_memo(LEVEL_MEMO_KEY)
    if user_id not in levels:
        checked = _ANY_CHECK.first({"user_id": user_id}) is not None
        levels[user_id] = IDENTITY_VERIFIED_IN_PERSON.value if checked else IDENTITY_SELF_ASSERTED.value
    return levels[user_id]  # type: ignore[return-value]


def verified_claims(user_id: str) -> dict[str, Any] | None:
    """IDA ``verified_claims`` for the latest in-person check, or None when there is none."""
    check = latest_check(user_id)
    if check is None:
        return None
    when = check.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    verifier = {"organization": current_app.config["COUNCIL_NAME"], "txn": check.id}
    evidence = [
        {
            "type": "document",
            "method": METHOD,
            "check_details": [{"check_method": CHECK_METHOD, **verifier, "time": when}],
            "verifier": verifier,
            "time": when,
            "document_details": {"type": DOCUMENTS[name][1]},
        }
        for name in check.documents
    ]
    details = check.details
    return {
        "verification": {"trust_framework": TRUST_FRAMEWORK, "time": when, "evidence": evidence},
        "claims": {
            "given_name": details.given_name,
            "family_name": details.family_name,
            "birthdate": details.birthdate.isoformat(),
            "address": {"postal_code": details.postcode},
        },
    }
