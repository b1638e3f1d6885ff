"""Registering a shopper, and the new-user steps every kind of sign-up shares."""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from ..exceptions import EmailTakenError, FieldError
from ..models import Customer, User, UserPreferences, UserProfile
from ._common import _check_password, _constraint_name, _validate_fields

logger = logging.getLogger(__name__)


def _normalize_email(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise FieldError(field="email", messages=exc.messages) from exc
    return email


def _new_user(*, email: str, password: str, first_name: str, last_name: str, phone_number: str = "") -> User:
    """Create a user with a profile and preferences. Call inside a transaction."""
    email = _normalize_email(email)
    candidate = User(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), phone_number=phone_number.strip()
    )
    _validate_fields(candidate, ["first_name", "last_name", "phone_number"])
    _check_password(password, candidate)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTakenError()
    try:
        # A savepoint, so a lost race on the unique email is reported and the outer
        # transaction stays usable.
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=candidate.first_name,
                last_name=candidate.last_name,
                phone_number=candidate.phone_number,
            )
    except IntegrityError as exc:
        if "email" in _constraint_name(exc):
            raise EmailTakenError() from exc
        raise
    UserProfile.objects.create(user=user)
    UserPreferences.objects.create(user=user)
    return user


def customer_register(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone_number: str = ""
) -> User:
    """Create a shopper: the user, the customer role, a profile and default preferences.

    Raises: EmailTakenError, WeakPasswordError, FieldError.
    """
    with transaction.atomic():
        user = _new_user(
            email=email, password=password, first_name=first_name, last_name=last_name, phone_number=phone_number
        )
        Customer.objects.create(user=user)
    logger.info("Customer registered: user %s", user.pk)
    return user
