"""Standard OpenID Connect claims whose source is the citizen's own vault.

The ``address`` scope (OIDC Core section 5.1.1) releases the citizen's current address from the contact
module: what they keep themselves, so a council service signing them in sees the address they gave, not
a second copy that drifts out of date.
"""

from __future__ import annotations

from typing import Any

from vault import services
from vault.services import RecordView

CONTACT_MODULE = "contact"
COUNTRY = "United Kingdom"


def address_claim(user_id: str) -> dict[str, str] | None:
    """The ``address`` claim built from the citizen's current address record, or None without one."""
    current = _current_address(services.list_records(user_id, CONTACT_MODULE))
    if current is None:
        return None
    lines = [line.strip() for line in str(current.data["address"]).splitlines() if line.strip()]
    postcode = _normal_postcode(current.data.get("postcode"))
    claim: dict[str, str] = {"country": COUNTRY}
    if postcode:
        claim["postal_code"] = postcode
        if postcode.replace(" ", "").upper() not in "".join(lines).replace(" ", "").upper():
            lines.append(postcode)
    claim["formatted"] = "\n".join([*lines, COUNTRY])
    return claim


def _current_address(records: list[RecordView]) -> RecordView | None:
    """The address lived at most recently: the latest 'lived here since', then the latest change."""
    addresses = [record for record in records if record.kind == "address" and record.data.get("address")]
    if not addresses:
        return None
    return max(addresses, key=lambda record: (str(record.data.get("lived_here_since") or ""), record.updated_at))


def _normal_postcode(value: Any) -> str | None:
    """UK postcodes in their usual written form: upper case, one space before the inward code."""
    if not isinstance(value, str) or not value.strip():
        return None
    compact = value.replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}"
