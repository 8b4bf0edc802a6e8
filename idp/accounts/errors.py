"""Domain errors of the accounts area; their messages are safe to show to the person."""

from __future__ import annotations

from typing import TYPE_CHECKING

from idp.errors import Conflict, DomainError

if TYPE_CHECKING:
    from idp.accounts.models import User

# Vague on purpose: it must not say whether the address exists or the password was wrong.
SIGN_IN_FAILED = "Enter a correct email address or phone number and password"


class InvalidCredentials(DomainError):
    status_code = 400
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__(SIGN_IN_FAILED)


class ContactNotVerified(DomainError):
    """The password was right but the email address or phone number is not confirmed yet."""

    status_code = 403
    code = "contact_not_verified"

    def __init__(self, user: User) -> None:
        super().__init__("Confirm your email address or phone number before you sign in")
        self.user = user


class InvalidContact(DomainError):
    code = "invalid_contact"


class AccountExists(Conflict):
    code = "account_exists"


class PasswordRejected(DomainError):
    code = "password_rejected"


class CodeRejected(DomainError):
    code = "code_rejected"


class ResetLinkInvalid(DomainError):
    code = "reset_link_invalid"
