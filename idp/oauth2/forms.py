"""The consent form: which of the asked scopes the person allows, bound to one pending request."""

from __future__ import annotations

from wtforms import HiddenField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from idp.forms import Form


class ScopeCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:
        """Unticking everything is a valid answer; a value that was never offered is ignored later."""


class ConsentForm(Form):
    request_id = HiddenField()
    scopes = ScopeCheckboxes("What you allow", choices=[])


class LogoutForm(Form):
    """Confirm signing out (RP-initiated logout without a valid id_token_hint)."""
