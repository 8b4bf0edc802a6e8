"""Forms for the vault pages. A record form is generated from its module's schema: each field becomes a
GOV.UK input (text, textarea, date, money, radios, yes/no), typed values are parsed into the record, and
the schema validates the result, so every error names the field it belongs to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from wtforms import PasswordField, RadioField
from wtforms.validators import InputRequired

from idp.forms import Form
from vault import catalogue
from vault.catalogue import Field, Kind, RecordInvalid

DATE_PARTS = ("day", "month", "year")


class RecordForm(Form):
    """CSRF comes from Flask-WTF; the record fields come from ``kind`` (see ``vault.catalogue``)."""

    def __init__(self, module: str, kind: Kind, stored: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.module, self.kind = module, kind
        self.field_errors: dict[str, str] = {}
        self.typed: dict[str, str] = _from_record(kind, stored or {}) if request.method != "POST" else {}
        self.record: dict[str, Any] = {}

    @property
    def errors(self) -> dict[str, Any]:  # type: ignore[override]
        return {**super().errors, **self.field_errors}

    def value(self, name: str) -> str:
        return self.typed.get(name, "")

    def error_for(self, name: str) -> str | None:
        return self.field_errors.get(name)

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        self.typed = {key: str(value) for key, value in request.form.items() if key != "csrf_token"}
        self.record = {"kind": self.kind.name}
        for field in self.kind.fields:
            self._parse(field)
        if not self.field_errors:
            self.reject(_schema_errors(self.module, self.record))
        return not self.field_errors

    def seen_version(self, default: int) -> int:
        """The version the citizen was looking at when they opened the form (a hidden field)."""
        seen = self.typed.get("version", "")
        return int(seen) if seen.isdigit() else default

    def reject(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.field_errors.setdefault(name, message)

    def _parse(self, field: Field) -> None:
        try:
            value = _PARSERS.get(field.widget, _text)(field, self.typed)
        except ValueError as error:
            self.field_errors[field.name] = str(error)
            return
        if value is not None:
            self.record[field.name] = value

    def error_list(self) -> list[dict[str, str]]:
        items = [{"text": message, "href": "#main-content"} for message in self.form_errors]
        for field in self.kind.fields:
            if field.name in self.field_errors:
                items.append({"text": self.field_errors[field.name], "href": f"#{anchor(field)}"})
        return items


def anchor(field: Field) -> str:
    """The id the error summary links to: the first input of the field (GOV.UK pattern)."""
    return f"{field.name}-day" if field.widget == "date" else field.name


def _schema_errors(module: str, record: dict[str, Any]) -> dict[str, str]:
    try:
        catalogue.validate(module, record)
    except RecordInvalid as error:
        return error.errors
    return {}


def _text(field: Field, typed: dict[str, str]) -> str | None:
    value = typed.get(field.name, "").strip()
    return value or None


def _money(field: Field, typed: dict[str, str]) -> float | None:
    value = typed.get(field.name, "").strip().replace("£", "").replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{field.title} must be an amount in pounds, like 450.00") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{field.title} must be an amount in pounds and pence, like 450.00")
    return float(amount)


def _number(field: Field, typed: dict[str, str]) -> float | int | None:
    value = typed.get(field.name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{field.title} must be a number") from None
    return int(number) if number.is_integer() else number


def _yes_no(field: Field, typed: dict[str, str]) -> bool | None:
    return {"yes": True, "no": False}.get(typed.get(field.name, ""))


def _date(field: Field, typed: dict[str, str]) -> str | None:
    parts = [typed.get(f"{field.name}-{part}", "").strip() for part in DATE_PARTS]
    if not any(parts):
        return None
    if not all(part.isdigit() for part in parts):
        missing = [name for name, part in zip(DATE_PARTS, parts, strict=True) if not part]
        detail = f" must include a {missing[0]}" if missing else " must be a real date"
        raise ValueError(field.title + detail)
    day, month, year = (int(part) for part in parts)
    if year < 1000:
        raise ValueError(f"Year in {field.title[0].lower() + field.title[1:]} must include 4 numbers")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{field.title} must be a real date") from None


_PARSERS = {"money": _money, "number": _number, "yes-no": _yes_no, "date": _date}


def _from_record(kind: Kind, stored: dict[str, Any]) -> dict[str, str]:
    """What the form shows for a stored record (when changing it)."""
    typed: dict[str, str] = {}
    for field in kind.fields:
        value = stored.get(field.name)
        if value is None:
            continue
        if field.widget == "date":
            year, month, day = str(value).split("-")
            typed.update({f"{field.name}-day": str(int(day)), f"{field.name}-month": str(int(month))})
            typed[f"{field.name}-year"] = year
        elif field.widget == "yes-no":
            typed[field.name] = "yes" if value else "no"
        elif field.widget == "money":
            typed[field.name] = f"{value:.2f}"
        else:
            typed[field.name] = str(value)
    return typed


class ConfirmDeleteRecordForm(Form):
    pass


class DeleteAccountForm(Form):
    confirm = RadioField(
        choices=["yes", "no"],
        validators=[InputRequired("Select yes if you want to delete your account")],
    )
    password = PasswordField(validators=[InputRequired("Enter your password")])
