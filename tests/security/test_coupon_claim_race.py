"""Row 7: coupons claimed through the API by a crowd at once (OWASP WSTG-BUSL-10, API4/API6).

1,000 customers claim a coupon of which 30 exist, 100 requests in flight at a time: exactly 30
issued, no customer twice, the other 970 a clean `sold_out` (409), no 5xx. One customer claiming
20 times at once gets one coupon.
"""

import pytest

from promotions.models import Coupon, IssuedCoupon
from scorecard.invariants import coupon_violations
from tests.factories.commerce import CouponFactory

from .http import bearer, fire, many_customers, server_errors, statuses

pytestmark = [pytest.mark.scorecard(row=7), pytest.mark.django_db(transaction=True)]


def claim(url: str, headers: dict[str, str]):
    return lambda session: session.post(url, headers=headers, timeout=120)


def test_a_thousand_customers_race_for_thirty_coupons(shop_server, scorecard_row):
    coupon = CouponFactory(initial_quantity=30)
    customers = many_customers(1000, "crowd")
    url = f"{shop_server.url}/api/v1/coupons/{coupon.pk}/claim/"
    answers = fire([claim(url, bearer(user)) for user in customers], concurrency=100)

    issued = IssuedCoupon.objects.filter(coupon=coupon)
    holders = list(issued.values_list("user_id", flat=True))
    created = [a for a in answers if a.status == 201]
    sold_out = [a for a in answers if a.status == 409 and a.code == "sold_out"]
    errors = server_errors(answers)
    coupon.refresh_from_db()
    ok = (
        len(holders) == 30
        and len(set(holders)) == 30
        and len(created) == 30
        and len(sold_out) == 970
        and not errors
        and coupon.quantity == 0
        and not coupon_violations()
    )
    slowest = max(a.seconds for a in answers)
    passed = scorecard_row(
        "1,000 concurrent claims on 30 coupons",
        f"{len(holders)} issued, {len(holders) - len(set(holders))} duplicates, {len(sold_out)} clean sold_out, "
        f"{len(errors)} 5xx ({statuses(answers)}; slowest {slowest:.1f}s), {coupon.quantity} left",
        ok,
    )
    assert passed, errors[:3]


def test_one_customer_claiming_twenty_times_at_once_gets_one(shop_server, scorecard_row):
    coupon = CouponFactory(initial_quantity=5)
    (customer,) = many_customers(1, "greedy")
    url = f"{shop_server.url}/api/v1/coupons/{coupon.pk}/claim/"
    headers = bearer(customer)
    answers = fire([claim(url, headers) for _ in range(20)], concurrency=20)
    held = IssuedCoupon.objects.filter(coupon=coupon, user=customer).count()
    created = sum(1 for a in answers if a.status == 201)
    refused = sum(1 for a in answers if a.status == 409 and a.code == "already_claimed")
    left = Coupon.objects.get(pk=coupon.pk).quantity
    passed = scorecard_row(
        "the same customer claiming 20 times at once",
        f"{held} held, {created} x 201, {refused} already_claimed, {len(server_errors(answers))} 5xx, {left} of 5 left",
        held == 1 and created == 1 and refused == 19 and not server_errors(answers) and left == 4,
    )
    assert passed, statuses(answers)
