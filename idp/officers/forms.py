"""Forms of the officer console, the client administration and role pages and the citizen's help-code page."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from wtforms import (
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from clients import services as client_services
from clients.models import ORGANISATION_TYPES
from idp.accounts import contacts
from idp.accounts.errors import InvalidContact
from idp.accounts.forms import NewPasswordForm
from idp.accounts.passwords import MAX_PASSWORD_LENGTH
from idp.authn.levels import AUTHENTICATION_LEVELS, IDENTITY_LEVELS
from idp.errors import DomainError
from idp.forms import Form, choices
from idp.officers.citizens import Details
from idp.officers.identity import DOCUMENTS
from idp.officers.models import ROLE_NAMES, ROLES
from vault.catalogue import MODULE_NAMES

DATE_FORMATS = ("%d/%m/%Y", "%d %m %Y", "%Y-%m-%d", "%d-%m-%Y")
ORGANISATION_TYPE_NAMES = {
    "council_service": "Council service",
    "landlord": "Landlord",
    "gp_practice": "GP practice",
    "employer": "Employer",
    "support_agency": "Support agency",
    "identity_portal": "Identity-checking portal",
}


def _text(required: str | None, max_length: int, label: str) -> StringField:
    first = InputRequired(required) if required else Optional()
    return StringField(
        validators=[first, Length(max=max_length, message=f"{label} must be {max_length} characters or fewer")]
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(" ".join(value.split()), pattern).date()
        except ValueError:
            continue
    return None


class DetailsForm(Form):
    """Name, date of birth and postcode, as on the citizen's documents."""

    given_name = _text("Enter the first name", 100, "First name")
    family_name = _text("Enter the last name", 100, "Last name")
    birthdate = _text("Enter the date of birth", 20, "Date of birth")
    postcode = _text("Enter the postcode", 10, "Postcode")

    def validate_birthdate(self, field: StringField) -> None:
        parsed = parse_date(field.data or "")
        if parsed is None:
            raise ValidationError("Date of birth must be a real date, like 27/03/1980")
        if parsed >= date.today() or parsed.year < 1900:
            raise ValidationError("Date of birth must be in the past")
        self.parsed_birthdate = parsed

    def validate_postcode(self, field: StringField) -> None:
        key = "".join((field.data or "").split()).upper()
        if not (5 <= len(key) <= 7 and key.isalnum() and key[-3].isdigit()):
            raise ValidationError("Enter a real postcode, like SW1A 1AA")

    def details(self) -> Details:
        return Details(self.given_name.data, self.family_name.data, self.parsed_birthdate, self.postcode.data)


class ContactSearchForm(Form):
    contact = _text("Enter an email address or mobile number", 254, "Email address or mobile number")


class CreateAccountForm(DetailsForm):
    contact = _text("Enter the citizen's email address or mobile number", 254, "Email address or mobile number")
    delivery = RadioField(
        choices=choices(
            [("letter", "Print an activation letter"), ("message", "Send the code by email or text message")]
        ),
        validators=[InputRequired("Select how the citizen gets their activation code")],
    )

    def validate_contact(self, field: StringField) -> None:
        try:
            contacts.parse_contact(field.data or "")
        except InvalidContact as error:
            raise ValidationError("Enter an email address like name@example.com, or a UK mobile number") from error


class IdentityCheckForm(DetailsForm):
    documents = MultiCheckboxField(
        choices=choices((name, label) for name, (label, _, _) in DOCUMENTS.items()),
        validators=[InputRequired("Select the documents you have seen")],
    )


class ReissueForm(Form):
    delivery = RadioField(
        choices=choices([("letter", "Print a new letter"), ("message", "Send by email or text message")]),
        validators=[InputRequired("Select how the citizen gets their activation code")],
    )


class CodeForm(Form):
    code = _text("Enter the code the citizen reads out", 20, "The code")


class ActivateForm(NewPasswordForm):
    contact = _text("Enter the email address or mobile number the council recorded", 254, "Contact")
    code = _text("Enter the activation code from your letter or message", 20, "The code")
    # Declared again after the fields above so that the error summary follows the page's order.
    new_password = PasswordField(validators=[InputRequired("Enter a password"), Length(max=MAX_PASSWORD_LENGTH)])
    confirm_password = PasswordField(validators=[Length(max=MAX_PASSWORD_LENGTH)])

    def personal_values(self) -> tuple[str | None, ...]:
        return (self.contact.data,)


class OrganisationForm(Form):
    name = _text("Enter the organisation's name", 200, "Name")
    type = RadioField(
        choices=choices((value, ORGANISATION_TYPE_NAMES[value]) for value in ORGANISATION_TYPES),
        validators=[InputRequired("Select the type of organisation")],
    )


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ClientForm(Form):
    """Client metadata; each URI checked with the registry's own validator, the refusal naming the field."""

    name = _text("Enter the service's name", 200, "Name")
    purpose = TextAreaField(validators=[InputRequired("Enter why the service asks for data"), Length(max=2000)])
    redirect_uris = TextAreaField(validators=[Optional(), Length(max=4000)])
    post_logout_redirect_uris = TextAreaField(validators=[Optional(), Length(max=4000)])
    scope = _text(None, 500, "Scopes")
    allowed_modules = MultiCheckboxField(choices=choices((name, name.capitalize()) for name in MODULE_NAMES))
    auth_method = RadioField(
        choices=choices(
            [
                ("client_secret_basic", "Client secret (HTTP Basic)"),
                ("client_secret_post", "Client secret (in the form body)"),
                ("private_key_jwt", "Signed assertion (private_key_jwt) with registered public keys"),
            ]
        ),
        default="client_secret_basic",
    )
    jwks = TextAreaField(validators=[Optional(), Length(max=20000)])
    min_acr = SelectField(choices=choices([("", "No minimum")] + [(lv.value, lv.name) for lv in AUTHENTICATION_LEVELS]))
    min_identity_level = SelectField(
        choices=choices([("", "No minimum")] + [(lv.value, lv.name) for lv in IDENTITY_LEVELS])
    )
    max_auth_age = IntegerField(
        validators=[Optional(), NumberRange(min=0, max=31_536_000, message="Maximum age must be 0 or more seconds")]
    )
    logo_uri = _text(None, 500, "Logo URL")
    contact = _text("Enter a contact email address", 254, "Contact")

    def validate_redirect_uris(self, field: TextAreaField) -> None:
        self._check_uris(field, "Redirect URIs")

    def validate_post_logout_redirect_uris(self, field: TextAreaField) -> None:
        self._check_uris(field, "Post-logout redirect URIs")

    def _check_uris(self, field: TextAreaField, label: str) -> None:
        for uri in _lines(field.data):
            try:
                client_services.validate_redirect_uri(uri)
            except DomainError as error:
                raise ValidationError(f"{label}: {error.message}") from error

    def validate_logo_uri(self, field: StringField) -> None:
        if field.data and not field.data.startswith("https://"):
            raise ValidationError("Logo URL must start with https://")

    def validate_contact(self, field: StringField) -> None:
        try:
            contacts.normalise_email(field.data or "")
        except InvalidContact as error:
            raise ValidationError("Contact must be an email address like name@example.com") from error

    def validate_jwks(self, field: TextAreaField) -> None:
        if self.auth_method.data != "private_key_jwt":
            return
        try:
            self.parsed_jwks = client_services.public_jwks(json.loads(field.data or "null"))
        except ValueError as error:
            raise ValidationError("Public keys (JWKS) must be valid JSON") from error
        except DomainError as error:
            raise ValidationError(f"Public keys (JWKS): {error.message}") from error

    def metadata(self) -> dict[str, Any]:
        return {
            "name": self.name.data.strip(),
            "purpose": self.purpose.data.strip(),
            "redirect_uris": _lines(self.redirect_uris.data),
            "post_logout_redirect_uris": _lines(self.post_logout_redirect_uris.data),
            "scope": " ".join(dict.fromkeys(["openid", *(self.scope.data or "").split()])),
            "allowed_modules": list(self.allowed_modules.data or []),
            "min_acr": self.min_acr.data or None,
            "min_identity_level": self.min_identity_level.data or None,
            "max_auth_age": self.max_auth_age.data,
            "logo_uri": self.logo_uri.data or None,
            "contacts": [contacts.normalise_email(self.contact.data)],
            "jwks": getattr(self, "parsed_jwks", None),
        }


class RotateForm(Form):
    overlap_hours = IntegerField(
        default=168,
        validators=[
            InputRequired("Enter how many hours the old secret keeps working"),
            NumberRange(min=0, max=720, message="The overlap must be between 0 and 720 hours"),
        ],
    )


class RolesForm(Form):
    """The staff roles an account should hold; unticking every box takes them all away."""

    roles = MultiCheckboxField(choices=choices((role, ROLE_NAMES[role]) for role in ROLES))
