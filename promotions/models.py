"""Coupons (seed 003 coupons + seed 000 COUPON_SOURCES and COUPONS).

`Coupon` is the source a limited number of coupons is issued from, first come first served;
`IssuedCoupon` is one customer's copy, usable once (`used_at`).
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, CharField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import SoftDeleteModel, TimeStampedModel
from common.money import currency_field, money_field


class DiscountType(models.TextChoices):
    AMOUNT = "amount", _("Fixed amount")
    PERCENTAGE = "percentage", _("Percentage")


class CouponStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


# The only status changes staff can make (promotions.services.coupon_transition enforces them).
COUPON_TRANSITIONS: dict[str, frozenset[str]] = {
    CouponStatus.ACTIVE: frozenset({CouponStatus.PAUSED, CouponStatus.ENDED}),
    CouponStatus.PAUSED: frozenset({CouponStatus.ACTIVE, CouponStatus.ENDED}),
    CouponStatus.ENDED: frozenset(),
}


class IssuedCouponState(models.TextChoices):
    """What a customer's coupon is good for now (computed, not stored)."""

    AVAILABLE = "available", _("Available")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")
    UNAVAILABLE = "unavailable", _("No longer valid")


class Coupon(TimeStampedModel, SoftDeleteModel):
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=32, unique=True)
    discount_type = models.CharField(max_length=16, choices=DiscountType.choices, default=DiscountType.AMOUNT)
    discount_value = money_field()
    max_discount_amount = money_field(null=True, blank=True, help_text=_("Caps a percentage discount."))
    minimum_order_value = money_field(default=0)
    currency = currency_field()
    initial_quantity = models.PositiveIntegerField(help_text=_("How many can ever be issued."))
    quantity = models.PositiveIntegerField(help_text=_("How many are left to claim."))
    status = models.CharField(max_length=16, choices=CouponStatus.choices, default=CouponStatus.ACTIVE, db_index=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__lte=F("initial_quantity")), name="coupon_quantity_within_initial"
            ),
            models.CheckConstraint(condition=Q(discount_value__gt=0), name="coupon_discount_positive"),
            models.CheckConstraint(
                condition=~Q(discount_type="percentage") | Q(discount_value__lte=100),
                name="coupon_percentage_at_most_100",
            ),
            models.CheckConstraint(condition=Q(minimum_order_value__gte=0), name="coupon_minimum_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def issued_count(self) -> int:
        return self.initial_quantity - self.quantity


def issued_coupon_state(*, now: datetime | None = None) -> Case:
    """An issued coupon's `IssuedCouponState`, in SQL: used, else expired, else unavailable, else available.

    The one meaning of "usable now" (available), for every app that asks. The order of the WHENs
    is the order in which a checkout explains a refusal. Annotate it as `state`.
    """
    now = now or timezone.now()
    return Case(
        When(used_at__isnull=False, then=Value(IssuedCouponState.USED)),
        When(coupon__expires_at__lte=now, then=Value(IssuedCouponState.EXPIRED)),
        When(
            ~Q(coupon__status=CouponStatus.ACTIVE) | Q(coupon__deleted_at__isnull=False),
            then=Value(IssuedCouponState.UNAVAILABLE),
        ),
        default=Value(IssuedCouponState.AVAILABLE),
        output_field=CharField(),
    )


class IssuedCouponQuerySet(models.QuerySet["IssuedCoupon"]):
    def usable(self, *, now: datetime | None = None) -> "IssuedCouponQuerySet":
        """Coupons an order may apply now: unused, their coupon active, not deleted, not expired."""
        return self.annotate(state=issued_coupon_state(now=now)).filter(state=IssuedCouponState.AVAILABLE)


class IssuedCoupon(TimeStampedModel):
    """One customer's coupon. At most one per customer per coupon (unique constraint)."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="issued")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupons")
    used_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The order that used it; cleared when that order is cancelled."),
    )

    objects = IssuedCouponQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "user"], name="issued_coupon_one_per_customer"),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True, order__isnull=True) | Q(used_at__isnull=False, order__isnull=False),
                name="issued_coupon_used_with_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coupon.code} → {self.user_id}"
