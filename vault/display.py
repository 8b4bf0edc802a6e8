"""How vault values and provenance read on the citizen's pages (template helpers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

from vault import catalogue
from vault.catalogue import Field, Module
from vault.services import Provenance, RecordView


def show_value(field: Field, value: Any) -> Markup:
    if value is None or value == "":
        return Markup("")
    if field.widget == "date":
        return escape(long_date(date.fromisoformat(value)))
    if field.widget == "money":
        return escape(f"£{value:,.2f}")
    if field.widget == "yes-no":
        return escape("Yes" if value else "No")
    if field.widget == "radios":
        return escape(str(value)[:1].upper() + str(value)[1:])
    # Line breaks the citizen typed are kept; everything else is escaped.
    return Markup("<br>").join(escape(line) for line in str(value).splitlines())


def long_date(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def when(value: datetime) -> str:
    return f"{long_date(value)} at {value:%H:%M} UTC"


def provenance_text(provenance: Provenance) -> str:
    if provenance.is_attested:
        return f"Confirmed by {provenance.attester_name or provenance.client_id}"
    return "Added by you"


def record_title(module: Module, record: RecordView) -> str:
    """A short name for a record: its type and its first filled-in field."""
    kind = module.kinds.get(record.kind)
    if kind is None:
        return "Record"
    first = next((f for f in kind.fields if record.data.get(f.name) not in (None, "")), None)
    return f"{kind.title}: {show_value(first, record.data[first.name]).striptags()}" if first else kind.title


def template_helpers() -> dict[str, Any]:
    return {
        "show_value": show_value,
        "long_date": long_date,
        "when": when,
        "provenance_text": provenance_text,
        "record_title": record_title,
        "catalogue_kind": lambda module, name: catalogue.get(module).kinds.get(name),
    }
