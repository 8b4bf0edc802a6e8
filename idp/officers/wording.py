"""How audited actions read to the citizen and to auditors."""

from __future__ import annotations

import json

from idp.audit import AuditEvent

ACTIONS = {
    "account.created": "Created your account at a council office",
    "activation.reissued": "Sent you a new activation code",
    "citizen.viewed": "Looked at your account's summary",
    "citizen.searched": "Searched for an account",
    "identity.checked": "Checked your identity documents in person",
    "assisted.started": "Started helping you, with the code you read out",
    "assisted.code_refused": "Entered a help code that was not right",
    "assisted.ended": "Stopped helping you",
    "grant.revoked": "Stopped an organisation seeing your information, with you",
    "sessions.ended": "Signed you out of Logbook on every device",
    "role.granted": "Gave this account a staff role",
    "role.revoked": "Took a staff role away from this account",
    "staff.looked_up": "Looked up this account to manage staff roles",
}


# Consent given with an officer alongside (idp.officers.assisted_consent): the row names the organisation.
CONSENT_ACTIONS = {
    "grant.given": "Helped you share information with {organisation}",
    "access_request.approved": "Helped you say yes to {organisation}'s request to see your information",
    "access_request.declined": "Helped you say no to {organisation}'s request to see your information",
}


def describe(event: AuditEvent) -> str:
    if event.action in CONSENT_ACTIONS:
        organisation = json.loads(event.details or "{}").get("organisation") or "an organisation"
        return CONSENT_ACTIONS[event.action].format(organisation=organisation)
    return ACTIONS.get(event.action, event.action.replace(".", " ").replace("_", " ").capitalize())
