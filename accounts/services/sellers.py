"""Applying to sell, a seller's status changes, and the e-mail that tells the seller of a decision."""

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.outbox import notification_queue, notification_send

from ..exceptions import (
    InvalidTransitionError,
    RegistrationNumberTakenError,
    SellerAlreadyAppliedError,
    SellerNotFoundError,
)
from ..models import SELLER_TRANSITIONS, Seller, SellerStatus, User
from ..notifications import SELLER_DECISION
from ._common import _constraint_name, _lock_owner, _validate_fields
from .registration import _new_user

logger = logging.getLogger(__name__)


# The statuses a seller is told about by email: the application's decision and later changes.
# Going back under review is the seller's own doing (a new application), so it sends nothing.
SELLER_DECISION_EMAILS = frozenset({SellerStatus.ACTIVE, SellerStatus.SUSPENDED, SellerStatus.INACTIVE})


def seller_apply(
    *,
    user: User | None,
    business_name: str,
    business_registration_number: str,
    contact_person_name: str,
    contact_person_phone: str = "",
    email: str = "",
    password: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Seller:
    """Apply to sell, as the signed-in `user` or (when `user` is None) as a new account.

    The application waits under review until staff approve it.

    Raises: SellerAlreadyAppliedError, RegistrationNumberTakenError, EmailTakenError,
    WeakPasswordError, FieldError.
    """
    registration_number = business_registration_number.strip()
    seller = Seller(
        business_name=business_name.strip(),
        business_registration_number=registration_number,
        contact_person_name=contact_person_name.strip(),
        contact_person_phone=contact_person_phone.strip(),
        status=SellerStatus.UNDER_REVIEW,
    )
    _validate_fields(
        seller, ["business_name", "business_registration_number", "contact_person_name", "contact_person_phone"]
    )
    with transaction.atomic():
        if user is None:
            user = _new_user(email=email, password=password, first_name=first_name, last_name=last_name)
        else:
            # The user row is the lock that makes "one application per user" hold under a double submit.
            _lock_owner(user)
            if Seller.objects.filter(user=user).exists():
                raise SellerAlreadyAppliedError()
        # The friendly answer; the case-insensitive unique constraint is what makes it hold when
        # two applications with the same number race past this check.
        if Seller.objects.filter(business_registration_number__iexact=registration_number).exists():
            raise RegistrationNumberTakenError()
        seller.user = user
        try:
            with transaction.atomic():
                seller.save()
        except IntegrityError as exc:
            name = _constraint_name(exc)
            if name == "seller_registration_number_unique_ci":
                raise RegistrationNumberTakenError() from exc
            if "user_id" in name:
                raise SellerAlreadyAppliedError() from exc
            raise
    logger.info("Seller application %s by user %s", seller.pk, user.pk)
    return seller


def seller_set_status(*, seller_id: int, to: str, actor: User | None = None) -> Seller:
    """Move a seller to `to` (approve, suspend, deactivate, reopen) if the table allows it.

    Raises: NotFoundError, InvalidTransitionError.
    """
    if to not in SellerStatus.values:
        raise ValueError(f"Unknown seller status {to!r}")
    with transaction.atomic():
        seller = Seller.objects.select_for_update().filter(pk=seller_id).first()
        if seller is None:
            raise SellerNotFoundError()
        if to not in SELLER_TRANSITIONS[seller.status]:
            raise InvalidTransitionError(
                _("%(seller)s cannot go from %(old)s to %(new)s.")
                % {
                    "seller": seller.business_name,
                    "old": SellerStatus(seller.status).label,
                    "new": SellerStatus(to).label,
                },
                extra={"from": seller.status, "to": to},
            )
        old = seller.status
        seller.status = to
        seller.save(update_fields=["status", "updated_at"])
        if to in SELLER_DECISION_EMAILS:
            _seller_decision_email_queue(seller=seller, previous=old)
    logger.info("Seller %s: %s -> %s by user %s", seller.pk, old, to, actor.pk if actor else None)
    return seller


def _seller_decision_email_queue(*, seller: Seller, previous: str, send_after_commit: bool = True) -> int:
    """Owe the seller the e-mail of its new status, in the caller's transaction (the shop's outbox:
    sent after commit, sent again later if the broker or the mail server is away; a rollback
    sends nothing). One row per status change: the key carries the change's time."""
    return notification_queue(
        kind=SELLER_DECISION,
        dedupe_key=f"seller:{seller.pk}:{seller.status}:{seller.updated_at:%Y%m%dT%H%M%S.%f}",
        user=seller.user,
        subject=seller,
        context={"status": seller.status, "previous": previous},
        send_after_commit=send_after_commit,
    )


def seller_decision_email_send(*, seller_id: int, status: str, previous: str) -> bool:
    """Email the seller now that its status is `status`, through the outbox (for a task queued
    before decisions were written to the outbox). Returns True when sent.

    Sends nothing, and returns False, when the seller is gone or has moved to another status
    since (a later change sends its own email), or when this change's e-mail went out already.
    """
    if status not in SELLER_DECISION_EMAILS:
        raise ValueError(f"No decision email for seller status {status!r}")
    seller = Seller.objects.select_related("user").filter(pk=seller_id).first()
    if seller is None or seller.status != status:
        return False
    notification_id = _seller_decision_email_queue(seller=seller, previous=previous, send_after_commit=False)
    return notification_send(notification_id=notification_id)
