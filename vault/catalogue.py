"""The module catalogue: one versioned JSON Schema (draft 2020-12) per vault module, in ``vault/schemas/``.

A module holds records of a few kinds (tenancy: the tenancy itself and repairs); every record carries a
``kind`` and the fields that kind's ``$defs`` entry allows. Titles and descriptions are written for the
citizen: the vault pages and the consent screen show them as they are. ``x-logbook-policy`` holds the
module's default access policy (step-up), which ``vault.policy`` will read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from idp.errors import DomainError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
MODULE_NAMES = (
    "identity",
    "contact",
    "household",
    "tenancy",
    "money",
    "benefits",
    "health",
    "employment",
    "support",
)


class UnknownModule(DomainError):
    status_code = 404
    code = "unknown_module"


class RecordInvalid(DomainError):
    """A record does not match its module's schema. ``errors`` maps each failing field to a message."""

    status_code = 422
    code = "invalid_record"

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(f"{first_field}: {first_message}", errors=errors)
        self.errors = errors


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    hint: str | None
    widget: str  # text, textarea, date, money, number, radios, yes-no, email, tel
    required: bool
    choices: tuple[str, ...] = ()
    schema: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((candidate for candidate in self.fields if candidate.name == name), None)


@dataclass(frozen=True)
class StepUp:
    acr: str
    max_age: int
    why: str


@dataclass(frozen=True)
class Module:
    name: str
    version: int
    title: str
    description: str
    kinds: dict[str, Kind]
    step_up: StepUp | None
    schema: dict[str, Any] = field(compare=False, repr=False)

    @property
    def schema_id(self) -> str:
        return str(self.schema["$id"])

    def kind(self, name: str) -> Kind:
        if name not in self.kinds:
            raise UnknownModule(f"{self.title} has no records of type {name!r}")
        return self.kinds[name]


def _field(name: str, schema: dict[str, Any], required: bool) -> Field:
    return Field(
        name=name,
        title=schema["title"],
        hint=schema.get("description"),
        widget=schema.get("x-logbook-widget", "text"),
        required=required,
        choices=tuple(schema.get("enum", ())),
        schema=schema,
    )


def _kind(name: str, schema: dict[str, Any]) -> Kind:
    required = set(schema.get("required", ()))
    fields = tuple(
        _field(field_name, field_schema, field_name in required)
        for field_name, field_schema in schema["properties"].items()
        if field_name != "kind"
    )
    return Kind(name=name, title=schema["title"], description=schema["description"], fields=fields)


def _module(name: str) -> Module:
    schema = json.loads((SCHEMA_DIR / f"{name}.v1.json").read_text())
    Draft202012Validator.check_schema(schema)
    step_up = (schema.get("x-logbook-policy") or {}).get("step_up")
    return Module(
        name=name,
        version=int(schema["x-logbook-version"]),
        title=schema["title"],
        description=schema["description"],
        kinds={kind_name: _kind(kind_name, kind) for kind_name, kind in schema["$defs"].items()},
        step_up=StepUp(**step_up) if step_up else None,
        schema=schema,
    )


@cache
def modules() -> dict[str, Module]:
    """Every module, in the order the citizen sees them."""
    return {name: _module(name) for name in MODULE_NAMES}


def get(name: str) -> Module:
    module = modules().get(name)
    if module is None:
        raise UnknownModule(f"There is no vault module called {name!r}")
    return module


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(get(name).schema, format_checker=FormatChecker())


def validate(module_name: str, record: Any) -> None:
    """Raise ``RecordInvalid`` naming every failing field; return quietly when the record is valid."""
    module = get(module_name)
    if not isinstance(record, dict):
        raise RecordInvalid({"record": "A record must be a JSON object"})
    errors: dict[str, str] = {}
    for error in sorted(_validator(module_name).iter_errors(record), key=lambda error: list(error.path)):
        for field_name in _failing_fields(error):
            errors.setdefault(field_name, _message(module, record, field_name, error))
    if errors:
        raise RecordInvalid(errors)


def _failing_fields(error: ValidationError) -> list[str]:
    if error.path:
        return [str(error.path[0])]
    if error.validator == "required":
        return [name for name in error.validator_value if name not in error.instance]
    if error.validator == "additionalProperties":
        return sorted(set(error.instance) - set(error.schema.get("properties", {})))
    return ["record"]


def _message(module: Module, record: dict[str, Any], field_name: str, error: ValidationError) -> str:
    kind_name = record.get("kind")
    # A kind that is not a string (a list, an object) is as unknown as a misspelt one, not a lookup error.
    kind = module.kinds.get(kind_name) if isinstance(kind_name, str) else None
    described = kind.field(field_name) if kind else None
    if field_name == "kind":
        return f"Choose a type of record: {', '.join(module.kinds)}"
    if described is None:
        return "This field is not part of this type of record" if kind else error.message
    return _field_message(described, error)


def _field_message(field: Field, error: ValidationError) -> str:
    label = field.title[0].lower() + field.title[1:]
    in_format = f"Enter {label} in the correct format"
    bad_format = f"{field.title} must be a real date" if field.widget == "date" else in_format
    messages = {
        "required": f"Enter {label}",
        "minLength": f"Enter {label}",
        "maxLength": f"{field.title} must be {error.validator_value} characters or fewer",
        "format": bad_format,
        "pattern": f"Enter {label} in the correct format",
        "enum": f"Select {label}",
        "minimum": f"{field.title} must be {error.validator_value} or more",
        "maximum": f"{field.title} must be {error.validator_value} or less",
        "type": _type_message(field, label),
    }
    return messages.get(str(error.validator), f"Enter {label} in the correct format")


def _type_message(field: Field, label: str) -> str:
    if field.widget in ("money", "number"):
        return f"{field.title} must be a number"
    if field.widget == "yes-no":
        return f"Select yes or no for {label}"
    return f"Enter {label} as text"
