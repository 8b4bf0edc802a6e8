"""Forms for the citizen's sharing pages (CSRF on, GOV.UK error summaries through ``idp.forms.Form``)."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from consent.labels import duration_label
from consent.services import DURATION_CHOICES
from idp.forms import Form, choices


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:
        # An empty selection is a valid answer here; unknown values are still refused.
        values = {str(choice.value) for choice in self.iter_choices()}
        if any(item not in values for item in self.data or ()):
            raise ValidationError("Choose from the list.")


class ConfirmForm(Form):
    """Revoke, decline and "make a sharing code": a button and the CSRF token."""


class NarrowForm(Form):
    keep = CheckboxesField("What they can still do", choices=[])


def duration_choices(maximum: int = 365) -> list[SelectChoice]:
    return choices((str(days), duration_label(days)) for days in DURATION_CHOICES if days <= maximum)


class ExtendForm(Form):
    days = RadioField("How long from today", choices=duration_choices(), validators=[InputRequired("Choose how long")])
    confirm = BooleanField("I want to keep sharing this information")


class StepUpForm(Form):
    """The grant's sign-in check: a second factor (or passkey) each time, within 15 minutes, or not."""

    required = RadioField(
        "Check it is you each time they look?",
        choices=choices([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired("Choose whether to ask for a second factor each time")],
    )


class ApproveForm(Form):
    modules = CheckboxesField("What you will share", choices=[])
    decision = RadioField(
        "Do you want to share this information?",
        choices=choices([("approve", "Yes, share it"), ("decline", "No, do not share it")]),
        validators=[InputRequired("Choose whether to share this information")],
    )
