"""The shared base for every HTML form: CSRF (Flask-WTF), GOV.UK error-summary items, and the rule that
an over-long body on a form page gets a clear 400 page instead of werkzeug's bare 413.

Usage::

    class NameForm(Form):
        name = StringField(validators=[InputRequired("Enter your name"), Length(max=100)])

    if form.validate_on_submit(): ...
    return render_template("area/page.html", form=form), 400 if form.errors else 200

``templates/base.html`` shows ``form.error_list()`` as the error summary; ``templates/macros/forms.html``
renders the fields with their inline errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

OVERSIZE_MESSAGE = (
    "What you entered is too long. Passwords can be up to 256 characters and names up to 100. "
    "Go back, shorten it and try again."
)


SUBMIT_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as the options WTForms 3.3 expects (tuples are deprecated there, removed in 3.4).
    Templates read options with ``field.iter_choices()`` (``.value``, ``.label``), whatever their shape."""
    return [SelectChoice(value, label) for value, label in pairs]


class Form(FlaskForm):
    """A Flask-WTF form whose errors render as a GOV.UK error summary that links to each field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Flask-WTF would also feed a JSON body or uploaded files to the fields, and a list, a number or a
        # file where a string belongs breaks the validators (a 500). Pages take form fields only: anything
        # else leaves them empty and gets the usual "enter ..." messages.
        if not args and "formdata" not in kwargs and request.method in SUBMIT_METHODS:
            kwargs["formdata"] = request.form
        super().__init__(*args, **kwargs)

    def error_list(self) -> list[dict[str, str]]:
        """Error-summary items ``[{'text': ..., 'href': '#field-id'}]``, form-level errors first."""
        items = [{"text": message, "href": f"#{self.first_field_id()}"} for message in self.form_errors]
        items += [{"text": field.errors[0], "href": f"#{field.id}"} for field in self.visible_fields() if field.errors]
        return items

    def add_error(self, message: str, field: str | None = None) -> None:
        """Record a failure found after validation (e.g. by a service): on a field, or on the whole form."""
        if field is None:
            self.form_errors.append(message)
            return
        target = self[field]
        target.errors = [*target.errors, message]

    def visible_fields(self) -> list[Any]:
        return [field for field in self if field.type not in ("CSRFTokenField", "HiddenField")]

    def first_field_id(self) -> str:
        fields = self.visible_fields()
        return fields[0].id if fields else "main-content"


def refuse_oversized_forms(blueprint: Blueprint) -> None:
    """Answer a body over ``MAX_CONTENT_LENGTH`` (say a 1 MB password) with a 400 page, before anything
    reads or hashes it."""

    @blueprint.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        return render_template("errors/error.html", status=400, message=OVERSIZE_MESSAGE), 400
