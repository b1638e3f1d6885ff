"""Coupons: issued first come, first served, used at most once.

A claim is one conditional UPDATE (`quantity = quantity - 1 WHERE quantity > 0`) plus an insert
guarded by the unique (coupon, user) constraint, in one transaction: exactly `initial_quantity`
coupons are ever issued and nobody holds two, however many claim at once.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from common.exceptions import DomainError, InvalidTransitionError, NotFoundError
from common.money import ZERO, money
from common.public_cache import customer_bump, generations_bump

from . import selectors
from .exceptions import (
    CouponAlreadyClaimedError,
    CouponInvalidError,
    CouponNotClaimableError,
    CouponNotUsableError,
    CouponSoldOutError,
)
from .models import (
    COUPON_TRANSITIONS,
    Coupon,
    CouponStatus,
    DiscountType,
    IssuedCoupon,
    IssuedCouponState,
    issued_coupon_state,
)


def coupon_is_live(coupon: Coupon, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        coupon.status == CouponStatus.ACTIVE
        and (coupon.starts_at is None or coupon.starts_at <= now)
        and (coupon.expires_at is None or coupon.expires_at > now)
    )


def coupon_claim(*, coupon_id: int, user: User) -> IssuedCoupon:
    """Issue one coupon to the user. Raises CouponSoldOutError, CouponAlreadyClaimedError,
    CouponNotClaimableError, NotFoundError."""
    # The coupon and whether this user holds it already, in one statement: after a sell-out
    # every claim ends here, and a drop sends thousands of them.
    coupon = (
        Coupon.objects.filter(pk=coupon_id)
        .annotate(claimed_already=Exists(IssuedCoupon.objects.filter(coupon=OuterRef("pk"), user=user)))
        .first()
    )
    if coupon is None:
        raise NotFoundError(_("No such coupon."))
    if not coupon_is_live(coupon):
        raise CouponNotClaimableError()
    # Cheap early answers; the UPDATE and the unique constraint below are what guarantee them.
    if coupon.claimed_already:
        raise CouponAlreadyClaimedError()
    if coupon.quantity == 0:
        raise CouponSoldOutError()
    now = timezone.now()
    try:
        with transaction.atomic():
            # PostgreSQL re-checks the WHERE on the newest row version after waiting for the
            # row lock, so concurrent claims serialize here and never take more than is left,
            # and a claim racing a pause, an end, a soft delete or a change of dates loses: the
            # coupon must still be live (as `coupon_is_live` says) in the row it decrements.
            taken = (
                Coupon.objects.filter(pk=coupon.pk, quantity__gt=0, status=CouponStatus.ACTIVE)
                .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .update(quantity=F("quantity") - 1, updated_at=now)
            )
            if not taken:
                raise _not_taken_reason(coupon.pk)
            # A second claim by the same user waits here on the unique index, then fails, and
            # the whole transaction (its decrement included) rolls back.
            issued = IssuedCoupon.objects.create(coupon=coupon, user=user)
            customer_bump(user.pk)  # the order forms offer it from the next request
            return issued
    except IntegrityError:
        raise CouponAlreadyClaimedError() from None


def _not_taken_reason(coupon_id: int) -> DomainError:
    # Staff paused or ended the coupon (or it expired) while the claim was on its way.
    coupon = Coupon.objects.filter(pk=coupon_id).first()
    if coupon is None or not coupon_is_live(coupon):
        return CouponNotClaimableError()
    return CouponSoldOutError()


def coupon_discount(*, coupon: Coupon, subtotal: Decimal) -> Decimal:
    """The discount this coupon gives on a subtotal; never more than the subtotal."""
    if coupon.discount_type == DiscountType.PERCENTAGE:
        discount = money(subtotal * coupon.discount_value / Decimal(100))
        if coupon.max_discount_amount is not None:
            discount = min(discount, coupon.max_discount_amount)
    else:
        discount = coupon.discount_value
    return money(max(ZERO, min(discount, subtotal)))


_NOT_USABLE_BECAUSE = {
    IssuedCouponState.USED: gettext_lazy("This coupon was already used."),
    IssuedCouponState.EXPIRED: gettext_lazy("This coupon has expired."),
    IssuedCouponState.UNAVAILABLE: gettext_lazy("This coupon is not active."),
}


def issued_coupon_lock_for_use(*, coupon_ref: int, user: User, subtotal: Decimal) -> tuple[IssuedCoupon, Decimal]:
    """Lock the user's unused coupon for an order and compute its discount.

    `coupon_ref` is the id of an `IssuedCoupon` the user holds (seed 000 ORDERS.coupon_id names
    COUPONS, the issued coupons; `id` in GET me/coupons/), never the id of a `Coupon`: one
    number names one thing, whatever the two id sequences hold. Raises CouponNotUsableError
    saying why.
    """
    assert transaction.get_connection().in_atomic_block, "runs inside the checkout transaction"
    # Its state is read with the lock (`issued_coupon_state` says what "usable" means).
    issued = (
        IssuedCoupon.objects.annotate(state=issued_coupon_state())
        .select_for_update()
        .select_related("coupon")
        .filter(pk=coupon_ref, user=user)
        .first()
    )
    return _issued_coupon_usable(issued, subtotal=subtotal)


def issued_coupon_discount_preview(*, coupon_ref: int, user: User, subtotal: Decimal) -> tuple[IssuedCoupon, Decimal]:
    """What `issued_coupon_lock_for_use` would answer now, without a lock: for a quote shown before
    the order is placed (checkout decides again, under the lock). Raises CouponNotUsableError."""
    issued = (
        IssuedCoupon.objects.annotate(state=issued_coupon_state())
        .select_related("coupon")
        .filter(pk=coupon_ref, user=user)
        .first()
    )
    return _issued_coupon_usable(issued, subtotal=subtotal)


def _issued_coupon_usable(issued: Any, *, subtotal: Decimal) -> tuple[IssuedCoupon, Decimal]:
    """The coupon (annotated with its `state`) and its discount, or CouponNotUsableError saying why."""
    if issued is None:
        raise CouponNotUsableError(_("You do not have this coupon."))
    if issued.state != IssuedCouponState.AVAILABLE:
        raise CouponNotUsableError(_NOT_USABLE_BECAUSE[issued.state])
    coupon = issued.coupon
    if subtotal < coupon.minimum_order_value:
        raise CouponNotUsableError(
            _("This coupon needs an order of at least %(minimum)s.") % {"minimum": coupon.minimum_order_value},
            extra={"minimum_order_value": str(coupon.minimum_order_value)},
        )
    return issued, coupon_discount(coupon=coupon, subtotal=subtotal)


def issued_coupon_mark_used(*, issued: IssuedCoupon, order_id: int) -> None:
    issued.used_at = timezone.now()
    issued.order_id = order_id
    issued.save(update_fields=["used_at", "order", "updated_at"])
    customer_bump(issued.user_id)  # no longer offered by the order forms


def issued_coupon_release(*, issued_coupon_id: int, order_id: int) -> None:
    """Make a coupon usable again when the order that used it is cancelled."""
    released = IssuedCoupon.objects.select_for_update().filter(pk=issued_coupon_id, order_id=order_id)
    holder_id = released.values_list("user_id", flat=True).first()
    if holder_id is None:
        return  # given back already (or never used by this order)
    released.update(used_at=None, order=None, updated_at=timezone.now())
    customer_bump(holder_id)  # the order forms offer it again


# --- staff ------------------------------------------------------------------------------------

# What staff may change on an existing coupon. The quantities are not among them: `quantity`
# belongs to the claims (a stale admin form must never write it back).
COUPON_EDITABLE_FIELDS = frozenset(
    {"name", "discount_type", "discount_value", "max_discount_amount", "minimum_order_value", "starts_at", "expires_at"}
)


def coupon_terms_check(
    *,
    discount_type: str,
    discount_value: Decimal,
    starts_at: datetime | None,
    expires_at: datetime | None,
) -> None:
    """Refuse terms no checkout could honour. Raises CouponInvalidError naming the field in `extra`."""
    if discount_value is None or discount_value <= ZERO:
        raise CouponInvalidError(_("The discount must be more than zero."), extra={"field": "discount_value"})
    if discount_type == DiscountType.PERCENTAGE and discount_value > 100:
        raise CouponInvalidError(_("A percentage discount can be at most 100."), extra={"field": "discount_value"})
    if starts_at and expires_at and expires_at <= starts_at:
        raise CouponInvalidError(_("The coupon must expire after it starts."), extra={"field": "expires_at"})


def coupon_create(
    *,
    name: str,
    code: str,
    discount_type: str,
    discount_value: Decimal,
    initial_quantity: int,
    max_discount_amount: Decimal | None = None,
    minimum_order_value: Decimal = ZERO,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    status: str = CouponStatus.ACTIVE,
    currency: str | None = None,
) -> Coupon:
    """Create a coupon with `initial_quantity` left to claim. Raises CouponInvalidError."""
    coupon_terms_check(
        discount_type=discount_type, discount_value=discount_value, starts_at=starts_at, expires_at=expires_at
    )
    if initial_quantity < 1:
        raise CouponInvalidError(_("Issue at least one coupon."), extra={"field": "initial_quantity"})
    code = code.strip().upper()
    if Coupon.all_objects.filter(code=code).exists():
        raise CouponInvalidError(_("A coupon with this code already exists."), extra={"field": "code"})
    return Coupon.objects.create(
        name=name.strip(),
        code=code,
        discount_type=discount_type,
        discount_value=money(discount_value),
        max_discount_amount=None if max_discount_amount is None else money(max_discount_amount),
        minimum_order_value=money(minimum_order_value or ZERO),
        currency=currency or settings.SHOP_CURRENCY,
        initial_quantity=initial_quantity,
        quantity=initial_quantity,
        status=status,
        starts_at=starts_at,
        expires_at=expires_at,
    )


def coupon_update(*, coupon_id: int, changes: dict[str, Any]) -> Coupon:
    """Change a coupon's terms (never its quantities or status). Raises CouponInvalidError."""
    unknown = set(changes) - COUPON_EDITABLE_FIELDS
    if unknown:
        raise CouponInvalidError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        coupon = Coupon.all_objects.select_for_update().get(pk=coupon_id)
        for field, value in changes.items():
            setattr(coupon, field, value)
        coupon_terms_check(
            discount_type=coupon.discount_type,
            discount_value=coupon.discount_value,
            starts_at=coupon.starts_at,
            expires_at=coupon.expires_at,
        )
        coupon.save(update_fields=[*changes, "updated_at"])
        generations_bump([selectors.COUPON_TERMS_SCOPE])  # its holders' order forms show the new terms
    return coupon


def coupon_transition(*, coupon_id: int, to: str) -> Coupon:
    """Pause, resume or end a coupon, as COUPON_TRANSITIONS allows. Raises InvalidTransitionError."""
    with transaction.atomic():
        coupon = Coupon.all_objects.select_for_update().filter(pk=coupon_id).first()
        if coupon is None:
            raise NotFoundError(_("No such coupon."))
        if to == coupon.status:
            return coupon
        if to not in COUPON_TRANSITIONS[CouponStatus(coupon.status)]:
            raise InvalidTransitionError(
                _("A coupon that is %(current)s cannot become %(to)s.")
                % {"current": coupon.get_status_display().lower(), "to": CouponStatus(to).label.lower()},
                extra={"from": coupon.status, "to": to},
            )
        coupon.status = to
        coupon.save(update_fields=["status", "updated_at"])
        generations_bump([selectors.COUPON_TERMS_SCOPE])  # offered again, or no longer
    return coupon
