"""Registering a shopper, and the new-user steps every kind of sign-up shares."""

import datetime as dt
import logging

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.outbox import notification_queue

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


# The e-mails of the sign-up page (outbox kinds declared in accounts/notifications.py).
SIGN_UP_WELCOME = "signup_welcome"
SIGN_UP_ALREADY_REGISTERED = "signup_already_registered"
# At most one "someone tried to register with your address" per address in this window: a
# sign-up form must not become a way to flood someone's inbox.
SIGN_UP_ATTEMPT_EMAIL_EVERY = dt.timedelta(hours=1)


def customer_sign_up(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone_number: str = ""
) -> User | None:
    """The sign-up page's use case: `customer_register` that never tells whether the address was
    already registered. Either way the address gets an e-mail through the outbox (a welcome, or
    "someone tried to register with your address"); returns the new user, or None when the
    address was taken.

    Raises: WeakPasswordError, FieldError (the input itself, the same for any address).
    """
    try:
        user = customer_register(
            email=email, password=password, first_name=first_name, last_name=last_name, phone_number=phone_number
        )
    except EmailTakenError:
        # As long as a new account takes: hashing is most of it (no timing tells either).
        make_password(password)
        owner = User.objects.filter(email__iexact=_normalize_email(email)).first()
        if owner is not None:
            window = int(timezone.now().timestamp() // SIGN_UP_ATTEMPT_EMAIL_EVERY.total_seconds())
            with transaction.atomic():
                notification_queue(
                    kind=SIGN_UP_ALREADY_REGISTERED,
                    user=owner,
                    subject=owner,
                    dedupe_key=f"user:{owner.pk}:{SIGN_UP_ALREADY_REGISTERED}:{window}",
                )
        logger.info("Sign-up with an address already registered; its owner is told by e-mail")
        return None
    with transaction.atomic():
        notification_queue(
            kind=SIGN_UP_WELCOME, user=user, subject=user, dedupe_key=f"user:{user.pk}:{SIGN_UP_WELCOME}", first=True
        )
    return user
