"""The facts a council service can ask a citizen to prove, and how answers are normalised before they are
compared with the service's record (spacing, case and date formats must not decide the outcome)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Fact:
    name: str
    reference_label: str
    reference_hint: str
    check_label: str
    check_hint: str
    check_kind: str  # "postcode" or "date"


FACTS = {
    "council_tax": Fact(
        "council_tax",
        "Council Tax account number",
        "You can find this on your Council Tax bill.",
        "Postcode of the property",
        "For example, LE1 5WS",
        "postcode",
    ),
    "tenancy": Fact(
        "tenancy",
        "Tenancy reference",
        "You can find this on your tenancy agreement or rent statement.",
        "Date of birth",
        "For example, 27/03/1985",
        "date",
    ),
}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %m %Y")


def fact_named(name: str | None) -> Fact | None:
    return FACTS.get(name or "")


def normalise_reference(value: str) -> str:
    return re.sub(r"[\s-]+", "", value).upper()[:64]


def normalise_check(fact: Fact, value: str) -> str | None:
    """The comparable form of the second fact, or None when it cannot be one (a date that is not a date)."""
    if fact.check_kind == "postcode":
        return re.sub(r"\s+", "", value).upper()[:16] or None
    return _iso_date(value.strip())


def _iso_date(value: str) -> str | None:
    for layout in DATE_FORMATS:
        try:
            parsed: date = datetime.strptime(value, layout).date()
        except ValueError:
            continue
        return parsed.isoformat()
    return None
