"""Forms for consent given with an officer alongside (``idp.officers.assisted_consent``)."""

from __future__ import annotations

from wtforms import BooleanField, RadioField
from wtforms.validators import InputRequired

from consent.forms import CheckboxesField, duration_choices
from idp.forms import Form, choices

AGREED_LABEL = "The citizen has heard what will be shared, with whom and why, and agrees"


class AnswerRequestForm(Form):
    scopes = CheckboxesField("What the citizen will share", choices=[])
    decision = RadioField(
        "What is the citizen's answer?",
        choices=choices([("approve", "Share it"), ("decline", "Do not share it")]),
        validators=[InputRequired("Choose the citizen's answer")],
    )
    agreed = BooleanField(AGREED_LABEL)


class GiveGrantForm(Form):
    scopes = CheckboxesField("What the citizen will share", choices=[])
    days = RadioField("For how long", choices=duration_choices(), validators=[InputRequired("Choose how long")])
    agreed = BooleanField(AGREED_LABEL)
