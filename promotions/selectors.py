"""Reads of coupons. A customer's coupons are always read through the customer."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from common.public_cache import customer_value, generations_prefetch

from .models import Coupon, CouponStatus, IssuedCoupon, issued_coupon_state


def coupons_claimable(*, user: User | None = None) -> QuerySet[Coupon]:
    """Live coupons, newest first, with `claimed_by_me` when a user is given."""
    now = timezone.now()
    coupons = Coupon.objects.filter(status=CouponStatus.ACTIVE).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if user is not None and user.is_authenticated:
        coupons = coupons.annotate(claimed_by_me=Exists(IssuedCoupon.objects.filter(coupon=OuterRef("pk"), user=user)))
    return coupons.order_by("-id")


def coupons_of(*, user: User, state: str | None = None) -> QuerySet[IssuedCoupon]:
    """The user's coupons, newest first, each annotated with its `state`; optionally one state."""
    issued = (
        IssuedCoupon.objects.filter(user=user).select_related("coupon", "order").annotate(state=issued_coupon_state())
    )
    if state:
        issued = issued.filter(state=state)
    return issued.order_by("-id")


def coupons_usable(*, user: User) -> QuerySet[IssuedCoupon]:
    """The user's coupons an order may apply now, soonest expiry first (no expiry last)."""
    return IssuedCoupon.objects.filter(user=user).usable().select_related("coupon").order_by("coupon__expires_at", "id")


# Bumped when staff change a coupon's terms or status: every holder's kept list is stale.
COUPON_TERMS_SCOPE = "promotions:coupons"
generations_prefetch(COUPON_TERMS_SCOPE)


def coupons_usable_kept(*, user: User) -> list[IssuedCoupon]:
    """`coupons_usable` for the order forms, kept under the customer's generation (a claim, a use
    or a cancelled order's give-back bumps it) and the coupons' terms scope (staff changes).

    A coupon expiring while kept is dropped here, by the same rule as `issued_coupon_state`.
    Checkout re-checks the coupon under its lock whatever a form offered.
    """
    kept = customer_value(
        user.pk, "promotions:usable", lambda: list(coupons_usable(user=user)), scopes=[COUPON_TERMS_SCOPE]
    )
    now = timezone.now()
    return [issued for issued in kept if issued.coupon.expires_at is None or issued.coupon.expires_at > now]


def issued_coupon_of(*, user: User, issued_coupon_id: int) -> IssuedCoupon | None:
    """One of the user's coupons with its `state`, or None (also for another user's id)."""
    return coupons_of(user=user).filter(pk=issued_coupon_id).first()


def coupon_code_taken(*, code: str, exclude_id: int | None = None) -> bool:
    """Whether another coupon (soft-deleted ones included) already has this code."""
    coupons = Coupon.all_objects.filter(code__iexact=code.strip())
    if exclude_id is not None:
        coupons = coupons.exclude(pk=exclude_id)
    return coupons.exists()
