"""Demo data for `manage.py seed_demo`: two live coupons to claim."""

from decimal import Decimal
from typing import Any

from .models import Coupon, DiscountType
from .services import coupon_create

DEMO_COUPONS: list[dict[str, Any]] = [
    {
        "code": "WELCOME10",
        "name": "Welcome: 10.00 off",
        "discount_type": DiscountType.AMOUNT,
        "discount_value": Decimal("10.00"),
        "minimum_order_value": Decimal("30.00"),
        "initial_quantity": 100,
    },
    {
        "code": "SAVE15",
        "name": "15% off, up to 20.00",
        "discount_type": DiscountType.PERCENTAGE,
        "discount_value": Decimal("15.00"),
        "max_discount_amount": Decimal("20.00"),
        "initial_quantity": 50,
    },
]


def seed(stdout: Any) -> None:
    """Create the demo coupons that do not exist yet (by code); existing ones are left as they are."""
    for terms in DEMO_COUPONS:
        if Coupon.all_objects.filter(code=terms["code"]).exists():
            stdout.write(f"promotions: coupon {terms['code']} already there")
            continue
        coupon = coupon_create(**terms)
        stdout.write(f"promotions: coupon {coupon.code} created ({coupon.initial_quantity} to issue)")
