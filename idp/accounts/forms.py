"""Forms of the accounts pages. Lengths are checked here, before any password reaches argon2."""

from __future__ import annotations

from typing import Any

from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from idp.accounts import contacts, passwords
from idp.accounts.errors import InvalidContact
from idp.forms import Form

PASSWORD_TOO_LONG = f"Your password must be {passwords.MAX_PASSWORD_LENGTH} characters or fewer"


CONTACT_REQUIRED = "Enter your email address or mobile phone number"
CONTACT_WRONG = "Enter an email address like name@example.com, or a UK mobile number like 07700 900 982"


def _password(message: str) -> PasswordField:
    too_long = Length(max=passwords.MAX_PASSWORD_LENGTH, message=PASSWORD_TOO_LONG)
    return PasswordField(validators=[InputRequired(message), too_long])


def _text(required: str | None, max_length: int, too_long: str) -> StringField:
    first = InputRequired(required) if required else Optional()
    return StringField(validators=[first, Length(max=max_length, message=too_long)])


def _confirmation() -> PasswordField:
    return PasswordField(validators=[Length(max=passwords.MAX_PASSWORD_LENGTH, message=PASSWORD_TOO_LONG)])


class NewPasswordForm(Form):
    """A new password typed twice, checked against the policy. Subclasses re-declare the two fields
    after their own so that fields (and the error summary) keep the page's order."""

    new_password = _password("Enter a password")
    confirm_password = _confirmation()

    def __init__(self, *args: Any, personal: tuple[str | None, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.personal = personal

    def personal_values(self) -> tuple[str | None, ...]:
        """Values the password may not equal (the account's email address and phone number)."""
        return self.personal

    def validate_new_password(self, field: PasswordField) -> None:
        problem = passwords.password_problem(field.data or "", *self.personal_values())
        if problem:
            raise ValidationError(problem)

    def validate_confirm_password(self, field: PasswordField) -> None:
        if field.data != self.new_password.data:
            raise ValidationError("The passwords do not match. Enter the same password twice")


class RegisterForm(NewPasswordForm):
    """An email address, or (for people without email) a UK mobile number: exactly one of the two."""

    given_name = _text("Enter your first name", 100, "First name must be 100 characters or fewer")
    family_name = _text("Enter your last name", 100, "Last name must be 100 characters or fewer")
    email = _text(None, 254, "Email address must be 254 characters or fewer")
    phone = _text(None, 30, "Enter a UK mobile number, like 07700 900 982")
    new_password = _password("Enter a password")
    confirm_password = _confirmation()
    channel: str = ""
    normalised_contact: str = ""

    def personal_values(self) -> tuple[str | None, ...]:
        return (self.email.data, self.phone.data)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)  # resets field errors, so the contact check comes after
        return self._check_contact() and valid

    def _check_contact(self) -> bool:
        if self.email.errors or self.phone.errors:
            return False
        email, phone = (self.email.data or "").strip(), (self.phone.data or "").strip()
        if not email and not phone:
            self.add_error("Enter your email address, or a mobile phone number if you do not have email", "email")
            return False
        if email and phone:
            self.add_error("Enter an email address or a mobile phone number, not both", "phone")
            return False
        if email:
            self.channel, normalise, field = contacts.EMAIL, contacts.normalise_email, "email"
        else:
            self.channel, normalise, field = contacts.PHONE, contacts.normalise_uk_mobile, "phone"
        try:
            self.normalised_contact = normalise(email or phone)
        except InvalidContact as error:
            self.add_error(error.message, field)
            return False
        return True


class VerifyForm(Form):
    code = _text("Enter the 6-digit code", 20, "The code must be 6 digits")

    def validate_code(self, field: StringField) -> None:
        field.data = "".join((field.data or "").split())
        if not (len(field.data) == 6 and field.data.isdigit()):
            raise ValidationError("The code must be 6 digits")


class SignInForm(Form):
    contact = _text(CONTACT_REQUIRED, 254, CONTACT_WRONG)
    password = _password("Enter your password")


class ResetRequestForm(Form):
    contact = _text(CONTACT_REQUIRED, 254, CONTACT_WRONG)

    def validate_contact(self, field: StringField) -> None:
        try:
            contacts.parse_contact(field.data or "")
        except InvalidContact as error:
            raise ValidationError(CONTACT_WRONG) from error


class ChangePasswordForm(NewPasswordForm):
    current_password = _password("Enter your current password")
    new_password = _password("Enter a new password")
    confirm_password = _confirmation()


class ConfirmForm(Form):
    """A button and its CSRF token (sign out, end a session)."""
