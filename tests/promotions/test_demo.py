from decimal import Decimal
from io import StringIO

import pytest

from promotions import demo
from promotions.models import Coupon, CouponStatus, DiscountType
from promotions.selectors import coupons_claimable

pytestmark = pytest.mark.django_db


def test_seed_creates_two_live_coupons_once():
    out = StringIO()

    demo.seed(out)
    demo.seed(out)

    welcome = Coupon.objects.get(code="WELCOME10")
    assert (welcome.discount_type, welcome.discount_value, welcome.minimum_order_value) == (
        DiscountType.AMOUNT,
        Decimal("10.00"),
        Decimal("30.00"),
    )
    assert (welcome.initial_quantity, welcome.quantity, welcome.status) == (100, 100, CouponStatus.ACTIVE)
    percent = Coupon.objects.get(discount_type=DiscountType.PERCENTAGE)
    assert (percent.discount_value, percent.max_discount_amount, percent.initial_quantity, percent.quantity) == (
        Decimal("15.00"),
        Decimal("20.00"),
        50,
        50,
    )
    assert Coupon.objects.count() == 2
    assert set(coupons_claimable().values_list("code", flat=True)) == {"WELCOME10", percent.code}
    assert "already there" in out.getvalue()
