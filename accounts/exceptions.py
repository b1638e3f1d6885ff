"""Errors of the accounts app, all `DomainError`s.

A `FieldError` is a rule about one input field (a taken email, a weak password, a taken display
name). Pages put it under that field; the API renders it as a 400 field error, so a client sees
the same `{"code": "validation_error", "fields": {...}}` as for a serializer error.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError, InvalidTransitionError, NotFoundError

__all__ = [
    "AddressNotFoundError",
    "AdministratorExistsError",
    "AdministratorNotFoundError",
    "DisplayNameTakenError",
    "EmailTakenError",
    "FieldError",
    "InvalidTransitionError",
    "LockedOutError",
    "RegistrationNumberTakenError",
    "SellerAlreadyAppliedError",
    "SellerNotFoundError",
    "SignInNotFoundError",
    "TokenInvalidError",
    "WeakPasswordError",
]


class FieldError(DomainError):
    """Bad input, keyed by field name (`"__all__"` when it is about no single field)."""

    code = "validation_error"
    http_status = 400
    field: str = "__all__"
    default_message = _("Some fields are not valid.")

    def __init__(
        self,
        message: Any = None,
        *,
        field: str | None = None,
        messages: Sequence[Any] | None = None,
        fields: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        if fields:
            self.fields = {name: [str(m) for m in msgs] for name, msgs in fields.items()}
        else:
            msgs = messages or [message or self.default_message]
            self.fields = {field or self.field: [str(m) for m in msgs]}
        first = message or next(iter(self.fields.values()))[0]
        super().__init__(first, extra={"fields": self.fields})


class EmailTakenError(FieldError):
    field = "email"
    default_message = _("An account with this email address already exists.")


class WeakPasswordError(FieldError):
    field = "password"
    default_message = _("This password is too weak.")


class DisplayNameTakenError(FieldError):
    field = "display_name"
    default_message = _("This display name is already taken; choose another.")


class RegistrationNumberTakenError(FieldError):
    field = "business_registration_number"
    default_message = _("A seller with this business registration number already exists.")


class AdministratorExistsError(FieldError):
    field = "user"
    default_message = _("This user is already an administrator.")


class SellerAlreadyAppliedError(DomainError):
    code = "seller_exists"
    http_status = 409
    default_message = _("You have already applied to sell; your application status is on your account page.")


class AddressNotFoundError(NotFoundError):
    default_message = _("Address not found.")


class AdministratorNotFoundError(NotFoundError):
    default_message = _("Administrator not found.")


class SellerNotFoundError(NotFoundError):
    default_message = _("Seller not found.")


class SignInNotFoundError(NotFoundError):
    default_message = _("Sign-in not found.")


class TokenInvalidError(DomainError):
    """A refresh token that is malformed, expired, blacklisted or already rotated."""

    code = "token_not_valid"
    http_status = 401
    default_message = _("The token is invalid or expired.")


class LockedOutError(DomainError):
    code = "locked_out"
    http_status = 429
    default_message = _("Too many failed sign-in attempts for this account.")
