"""Forms of the second-factor, step-up and security settings pages."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from idp.accounts.passwords import MAX_PASSWORD_LENGTH
from idp.forms import Form


def _normalise_code(value: str | None) -> str:
    return "".join((value or "").split())


class CodeForm(Form):
    """Six digits from an authenticator app (spaces allowed, as apps show "123 456")."""

    code = StringField(
        filters=[_normalise_code],
        validators=[
            InputRequired("Enter the 6-digit code from your authenticator app"),
            Regexp(r"^\d{6}$", message="Enter the code as 6 digits, like 123456"),
        ],
    )


class RecoveryCodeForm(Form):
    code = StringField(
        validators=[
            InputRequired("Enter one of your recovery codes"),
            Length(min=10, max=20, message="Enter the recovery code as 10 letters and numbers, like abcde-23456"),
        ]
    )


class PasswordForm(Form):
    password = PasswordField(
        validators=[
            InputRequired("Enter your password"),
            Length(max=MAX_PASSWORD_LENGTH, message=f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer"),
        ]
    )


class ConfirmForm(Form):
    """A button and its CSRF token."""


class PasskeyNameForm(Form):
    name = StringField(
        validators=[Length(max=60, message="The name must be 60 characters or fewer")],
    )
