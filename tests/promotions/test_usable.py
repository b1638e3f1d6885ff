"""One meaning of "this issued coupon can be used now": IssuedCoupon.objects.usable().

The checkout's coupon list, the customer's coupon states and the lock a checkout takes all ask
it, so they agree on every kind of coupon.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from promotions.exceptions import CouponNotUsableError
from promotions.models import Coupon, CouponStatus, IssuedCoupon
from promotions.selectors import coupons_of, coupons_usable
from promotions.services import coupon_claim, coupon_transition, issued_coupon_lock_for_use
from tests.factories.commerce import CouponFactory
from tests.payments.helpers import order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_of_every_kind(user, other_user) -> dict[str, IssuedCoupon]:
    now = timezone.now()
    kinds = {
        "no expiry": coupon_claim(coupon_id=CouponFactory(expires_at=None).pk, user=user),
        "expires later": coupon_claim(coupon_id=CouponFactory(expires_at=now + timedelta(days=2)).pk, user=user),
        "expires sooner": coupon_claim(coupon_id=CouponFactory(expires_at=now + timedelta(days=1)).pk, user=user),
    }
    for kind in ("used", "expired", "paused", "ended", "deleted"):
        kinds[kind] = coupon_claim(coupon_id=CouponFactory(expires_at=now + timedelta(hours=1)).pk, user=user)
    IssuedCoupon.objects.filter(pk=kinds["used"].pk).update(used_at=now, order=order_for(user))
    Coupon.objects.filter(pk=kinds["expired"].coupon_id).update(expires_at=now - timedelta(minutes=1))
    coupon_transition(coupon_id=kinds["paused"].coupon_id, to=CouponStatus.PAUSED)
    coupon_transition(coupon_id=kinds["ended"].coupon_id, to=CouponStatus.ENDED)
    Coupon.objects.filter(pk=kinds["deleted"].coupon_id).update(deleted_at=now)
    coupon_claim(coupon_id=CouponFactory().pk, user=other_user)
    return kinds


def test_usable_is_the_unused_live_unexpired_ones_soonest_expiry_first(user, issued_of_every_kind):
    kinds = issued_of_every_kind

    assert [i.pk for i in coupons_usable(user=user)] == [
        kinds["expires sooner"].pk,
        kinds["expires later"].pk,
        kinds["no expiry"].pk,
    ]


def test_the_state_a_customer_sees_says_available_for_exactly_the_usable(user, issued_of_every_kind):
    usable = {i.pk for i in coupons_usable(user=user)}

    assert {i.pk for i in coupons_of(user=user, state="available")} == usable
    assert {i.pk for i in coupons_of(user=user)} - usable == {
        issued_of_every_kind[k].pk for k in ("used", "expired", "paused", "ended", "deleted")
    }


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("no expiry", None),
        ("expires sooner", None),
        ("used", "This coupon was already used."),
        ("expired", "This coupon has expired."),
        ("paused", "This coupon is not active."),
        ("ended", "This coupon is not active."),
        ("deleted", "This coupon is not active."),
    ],
)
def test_a_checkout_may_lock_exactly_the_usable(user, issued_of_every_kind, kind, message):
    issued = issued_of_every_kind[kind]

    with transaction.atomic():
        if message is None:
            locked, discount = issued_coupon_lock_for_use(coupon_ref=issued.pk, user=user, subtotal=Decimal("50.00"))
            assert locked.pk == issued.pk and discount > 0
        else:
            with pytest.raises(CouponNotUsableError) as refused:
                issued_coupon_lock_for_use(coupon_ref=issued.pk, user=user, subtotal=Decimal("50.00"))
            assert str(refused.value.message) == message
