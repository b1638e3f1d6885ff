from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from promotions.models import Coupon, CouponStatus, DiscountType, IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.accounts import UserFactory
from tests.factories.commerce import CouponFactory
from tests.payments.helpers import order_for

pytestmark = pytest.mark.django_db

COUPONS = "/api/v1/coupons/"
MINE = "/api/v1/me/coupons/"


def _claim(coupon_id: int) -> str:
    return f"/api/v1/coupons/{coupon_id}/claim/"


def test_url_names():
    assert reverse("promotions_api:coupons") == COUPONS
    assert reverse("promotions_api:coupon_claim", args=[3]) == _claim(3)
    assert reverse("promotions_api:my_coupons") == MINE


@pytest.mark.parametrize(("method", "url"), [("get", COUPONS), ("post", _claim(1)), ("get", MINE)])
def test_every_endpoint_needs_authentication(method, url):
    response = getattr(APIClient(), method)(url)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_has_remaining_quantity_money_strings_and_claimed_by_me(api, user):
    mine = CouponFactory(code="MINE", initial_quantity=100)
    coupon_claim(coupon_id=mine.pk, user=user)
    CouponFactory(
        code="PCT",
        discount_type=DiscountType.PERCENTAGE,
        discount_value=Decimal("15.00"),
        max_discount_amount=Decimal("20.00"),
        minimum_order_value=Decimal("30.00"),
    )
    CouponFactory(code="PAUSED", status=CouponStatus.PAUSED)
    CouponFactory(code="OVER", expires_at=timezone.now() - timedelta(minutes=1))

    response = api.get(COUPONS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    pct, claimed = body["results"]
    assert claimed["code"] == "MINE" and claimed["claimed_by_me"] is True
    assert (claimed["initial_quantity"], claimed["remaining_quantity"], claimed["issued_count"]) == (100, 99, 1)
    assert pct["claimed_by_me"] is False
    assert (pct["discount_type"], pct["discount_value"], pct["max_discount_amount"], pct["minimum_order_value"]) == (
        "percentage",
        "15.00",
        "20.00",
        "30.00",
    )


def test_claim_returns_201_with_the_issued_coupon(api, user):
    coupon = CouponFactory(code="HELLO", initial_quantity=10)

    response = api.post(_claim(coupon.pk))

    assert response.status_code == 201
    body = response.json()
    issued = IssuedCoupon.objects.get()
    assert body["id"] == issued.pk and issued.user == user
    assert body["used_at"] is None and body["state"] == "available" and body["order_number"] is None
    assert body["coupon"]["id"] == coupon.pk and body["coupon"]["code"] == "HELLO"
    assert body["coupon"]["remaining_quantity"] == 9
    assert body["coupon"]["discount_value"] == "5.00"


def test_claim_with_a_jwt(other_user, user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    coupon = CouponFactory()
    response = client.post(_claim(coupon.pk))
    assert response.status_code == 201
    # The token's user got it, and nobody else (other_user was signed up first).
    issued = IssuedCoupon.objects.get(coupon=coupon)
    assert (issued.user_id, response.json()["id"]) == (user.pk, issued.pk)
    assert not IssuedCoupon.objects.filter(user=other_user).exists()
    mine = client.get(MINE).json()["results"]
    assert [row["id"] for row in mine] == [issued.pk]


def test_claim_twice_is_409_already_claimed(api):
    coupon = CouponFactory()
    api.post(_claim(coupon.pk))
    response = api.post(_claim(coupon.pk))
    assert response.status_code == 409
    assert response.json() == {"code": "already_claimed", "message": "You already have this coupon.", "extra": {}}
    coupon.refresh_from_db()
    assert coupon.quantity == coupon.initial_quantity - 1


def test_claim_sold_out_is_409(api):
    coupon = CouponFactory(initial_quantity=1)
    coupon_claim(coupon_id=coupon.pk, user=UserFactory())
    response = api.post(_claim(coupon.pk))
    assert response.status_code == 409 and response.json()["code"] == "sold_out"


@pytest.mark.parametrize(
    "attrs", [{"status": CouponStatus.PAUSED}, {"expires_at": timezone.now() - timedelta(seconds=1)}]
)
def test_claim_not_live_is_409_not_claimable(api, attrs):
    response = api.post(_claim(CouponFactory(**attrs).pk))
    assert response.status_code == 409 and response.json()["code"] == "not_claimable"
    assert not IssuedCoupon.objects.exists()


def test_claim_unknown_or_deleted_is_404(api):
    deleted = CouponFactory(deleted_at=timezone.now())
    for coupon_id in (999_999, deleted.pk):
        response = api.post(_claim(coupon_id))
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_claim_get_is_405(api):
    assert api.get(_claim(CouponFactory().pk)).status_code == 405


def test_my_coupons_only_mine_with_states(api, user, other_user):
    available = coupon_claim(coupon_id=CouponFactory().pk, user=user)
    used = coupon_claim(coupon_id=CouponFactory().pk, user=user)
    order = order_for(user)
    order.order_number = "OM-2026-00003"
    order.save(update_fields=["order_number"])
    IssuedCoupon.objects.filter(pk=used.pk).update(used_at=timezone.now(), order=order)
    expiring = CouponFactory(expires_at=timezone.now() + timedelta(hours=1))
    expired = coupon_claim(coupon_id=expiring.pk, user=user)
    Coupon.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    theirs = coupon_claim(coupon_id=CouponFactory().pk, user=other_user)

    body = api.get(MINE).json()

    assert body["count"] == 3
    states = {row["id"]: (row["state"], row["order_number"]) for row in body["results"]}
    assert states == {
        available.pk: ("available", None),
        used.pk: ("used", "OM-2026-00003"),
        expired.pk: ("expired", None),
    }
    assert theirs.pk not in states
    only = api.get(MINE, {"state": "available"}).json()
    assert [row["id"] for row in only["results"]] == [available.pk]


@pytest.mark.parametrize("state", ["shiny", ""])
def test_my_coupons_unknown_state_is_400(api, state):
    response = api.get(MINE, {"state": state})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "state" in response.json()["fields"]
