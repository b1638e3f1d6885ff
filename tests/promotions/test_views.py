from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from promotions.models import Coupon, CouponStatus, DiscountType, IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.accounts import UserFactory
from tests.factories.commerce import CouponFactory
from tests.payments.helpers import order_for

pytestmark = pytest.mark.django_db

LIST = "/coupons/"
MINE = "/coupons/mine/"


def _claim_url(coupon_id: int) -> str:
    return reverse("promotions:coupon_claim", args=[coupon_id])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_url_names():
    assert reverse("promotions:coupons") == LIST
    assert reverse("promotions:my_coupons") == MINE
    assert _claim_url(7) == "/coupons/7/claim/"


def test_list_shows_terms_and_what_is_left(client):
    CouponFactory(
        name="Welcome",
        code="WELCOME10",
        discount_value=Decimal("10.00"),
        minimum_order_value=Decimal("30.00"),
        initial_quantity=100,
        quantity=12,
        expires_at=timezone.now() + timedelta(days=3),
    )
    CouponFactory(
        name="Fifteen",
        discount_type=DiscountType.PERCENTAGE,
        discount_value=Decimal("15.00"),
        max_discount_amount=Decimal("20.00"),
    )
    CouponFactory(name="Paused one", status=CouponStatus.PAUSED)

    response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "12 of 100 left" in html
    assert "10.00 USD off" in html and "30.00 USD" in html
    assert "15% off" in html and "up to 20.00 USD" in html
    assert "Never" in html  # the percentage one does not expire
    assert "Paused one" not in html
    assert "Sign in to claim" in html  # anonymous: no claim form
    assert "style=" not in html


def test_list_marks_claimed_and_sold_out(signed_in, user):
    claimed = CouponFactory(name="Mine already")
    coupon_claim(coupon_id=claimed.pk, user=user)
    CouponFactory(name="All gone", initial_quantity=5, quantity=0)
    open_one = CouponFactory(name="Open")

    html = signed_in.get(LIST).content.decode()

    assert "Claimed" in html and "Sold out" in html
    assert html.count('class="claim-form"') == 1
    assert _claim_url(open_one.pk) in html


def test_claim_needs_sign_in_and_comes_back_to_the_list(client):
    coupon = CouponFactory()
    response = client.post(_claim_url(coupon.pk))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/coupons/"
    assert not IssuedCoupon.objects.exists()


def test_claim_by_get_is_not_allowed(signed_in):
    assert signed_in.get(_claim_url(CouponFactory().pk)).status_code == 405


def test_claim_issues_the_coupon_with_a_message(signed_in, user):
    coupon = CouponFactory(code="SPRING", initial_quantity=3)

    response = signed_in.post(_claim_url(coupon.pk))

    assert response.status_code == 302 and response["Location"] == LIST
    assert _messages(response) == ["The coupon SPRING is yours. Use it at checkout."]
    assert IssuedCoupon.objects.get().user == user
    coupon.refresh_from_db()
    assert coupon.quantity == 2


def test_claim_twice_says_already_claimed(signed_in, user):
    coupon = CouponFactory()
    signed_in.post(_claim_url(coupon.pk))
    response = signed_in.post(_claim_url(coupon.pk), follow=True)
    assert "You already have this coupon." in response.content.decode()
    assert IssuedCoupon.objects.count() == 1


def test_claim_sold_out_says_so(signed_in):
    coupon = CouponFactory(initial_quantity=1)
    coupon_claim(coupon_id=coupon.pk, user=UserFactory())
    response = signed_in.post(_claim_url(coupon.pk), follow=True)
    assert "Sorry, this coupon has all been claimed." in response.content.decode()
    assert IssuedCoupon.objects.count() == 1


def test_claim_paused_says_not_claimable(signed_in):
    coupon = CouponFactory(status=CouponStatus.PAUSED)
    response = signed_in.post(_claim_url(coupon.pk))
    assert _messages(response) == ["This coupon cannot be claimed now."]
    assert not IssuedCoupon.objects.exists()


def test_claim_unknown_is_404(signed_in):
    assert signed_in.post(_claim_url(999_999)).status_code == 404


def test_my_coupons_needs_sign_in(client):
    response = client.get(MINE)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_my_coupons_shows_each_state_and_only_mine(signed_in, user, other_user):
    coupon_claim(coupon_id=CouponFactory(name="Ready").pk, user=user)
    used = coupon_claim(coupon_id=CouponFactory(name="Spent").pk, user=user)
    order = order_for(user)
    order.order_number = "OM-2026-00007"
    order.save(update_fields=["order_number"])
    IssuedCoupon.objects.filter(pk=used.pk).update(used_at=timezone.now(), order=order)
    old = CouponFactory(name="Old", expires_at=timezone.now() + timedelta(hours=1))
    coupon_claim(coupon_id=old.pk, user=user)
    Coupon.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    coupon_claim(coupon_id=CouponFactory(name="Someone else's").pk, user=other_user)

    response = signed_in.get(MINE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ready" in html and "Available" in html
    assert "Spent" in html and "on order OM-2026-00007" in html
    assert "Old" in html and "Expired" in html
    assert "Someone else" not in html


def test_my_coupons_empty(signed_in):
    assert "You have no coupons yet." in signed_in.get(MINE).content.decode()
