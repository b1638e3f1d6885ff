"""Coupon lists, in the API and on the pages, cost the same queries for one coupon as for a full
page of them (claimed, used on an order, expired, paused)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from promotions.models import CouponStatus
from promotions.services import coupon_claim, issued_coupon_mark_used
from tests.factories.commerce import CouponFactory
from tests.payments.helpers import order_for

pytestmark = pytest.mark.django_db

COUPONS = "/api/v1/coupons/"
MY_COUPONS = "/api/v1/me/coupons/"
LIST_PAGE = "/coupons/"
MY_PAGE = "/coupons/mine/"


def count_of(response, url: str) -> int:
    if url.startswith("/api/"):
        return response.json()["count"]
    marker = 'class="coupon-terms"'  # one per coupon card
    return response.content.decode().count(marker)


def queries_for(client, url: str, *, rows: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert count_of(response, url) == rows
    return len(captured.captured_queries)


def claim_several(user, n: int) -> None:
    """Coupons of every kind a list shows: claimed, used on an order, expired, paused."""
    for i in range(n):
        issued = coupon_claim(coupon_id=CouponFactory().pk, user=user)
        if i % 4 == 1:
            issued_coupon_mark_used(issued=issued, order_id=order_for(user).pk)
        elif i % 4 == 2:
            issued.coupon.expires_at = timezone.now() - timedelta(minutes=1)
            issued.coupon.save()
        elif i % 4 == 3:
            issued.coupon.status = CouponStatus.PAUSED
            issued.coupon.save()


@pytest.mark.parametrize("url", [COUPONS, LIST_PAGE])
def test_claimable_coupons_cost_the_same_queries_for_one_and_a_full_page(
    url, api, signed_in, user, django_assert_max_num_queries
):
    client = api if url == COUPONS else signed_in
    CouponFactory()
    one = queries_for(client, url, rows=1)

    for i in range(15):
        coupon = CouponFactory(initial_quantity=5)
        if i % 2:
            coupon_claim(coupon_id=coupon.pk, user=user)  # `claimed_by_me`

    with django_assert_max_num_queries(one):
        queries_for(client, url, rows=16)
    assert one <= (8 if url.startswith("/api/") else 12)  # sign-in, count, rows; a page adds its menu


@pytest.mark.parametrize("url", [MY_COUPONS, MY_PAGE])
def test_my_coupons_cost_the_same_queries_for_one_and_a_full_page(
    url, api, signed_in, user, django_assert_max_num_queries
):
    client = api if url == MY_COUPONS else signed_in
    claim_several(user, 1)
    one = queries_for(client, url, rows=1)

    claim_several(user, 15)

    with django_assert_max_num_queries(one):
        queries_for(client, url, rows=16)
    assert one <= (8 if url.startswith("/api/") else 12)  # sign-in, count, rows; a page adds its menu
