"""Forms for service linking."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import InputRequired, Length

from idp.forms import Form


class LinkForm(Form):
    reference = StringField(validators=[InputRequired("Enter your reference"), Length(max=64)])
    check = StringField(validators=[InputRequired("Enter the second detail"), Length(max=32)])


class RemoveLinkForm(Form):
    """A button and its CSRF token."""
