"""Registering a shopper, and the new-user steps every kind of sign-up shares."""

import logging

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

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


# The e-mails of the sign-up page: templates accounts/email/signup_<kind>.txt and _subject.txt.
SIGN_UP_EMAILS = ("welcome", "already_registered")


def customer_sign_up(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone_number: str = ""
) -> User | None:
    """The sign-up page's use case: `customer_register` that never tells whether the address was
    already registered. Either way the address gets an e-mail (a welcome, or "someone tried to
    register with your address"); returns the new user, or None when the address was taken.

    Raises: WeakPasswordError, FieldError (the input itself, the same for any address).
    """
    try:
        user = customer_register(
            email=email, password=password, first_name=first_name, last_name=last_name, phone_number=phone_number
        )
    except EmailTakenError:
        # As long as a new account takes: hashing is most of it (no timing tells either).
        make_password(password)
        _sign_up_email_after_commit(kind="already_registered", email=_normalize_email(email))
        logger.info("Sign-up with an address already registered; its owner is told by e-mail")
        return None
    _sign_up_email_after_commit(kind="welcome", email=user.email)
    return user


def _sign_up_email_after_commit(*, kind: str, email: str) -> None:
    from ..tasks import sign_up_email_task

    transaction.on_commit(lambda: sign_up_email_task.delay(kind, email), robust=True)


def sign_up_email_send(*, kind: str, email: str) -> bool:
    """E-mail the account with this address about a sign-up (`SIGN_UP_EMAILS`). False when no
    such account exists (nothing sent)."""
    if kind not in SIGN_UP_EMAILS:
        raise ValueError(f"No sign-up e-mail {kind!r}")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return False
    context = {"user": user}
    subject = " ".join(render_to_string(f"accounts/email/signup_{kind}_subject.txt", context).split())
    body = render_to_string(f"accounts/email/signup_{kind}.txt", context)
    send_mail(subject, body, None, [user.email])
    logger.info("Sign-up e-mail %s sent to user %s", kind, user.pk)
    return True
