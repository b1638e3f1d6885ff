from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from common.exceptions import InvalidTransitionError, NotFoundError
from promotions.exceptions import (
    CouponAlreadyClaimedError,
    CouponInvalidError,
    CouponNotClaimableError,
    CouponNotUsableError,
    CouponSoldOutError,
)
from promotions.models import Coupon, CouponStatus, DiscountType, IssuedCoupon
from promotions.selectors import coupon_code_taken, coupons_claimable, coupons_of
from promotions.services import (
    coupon_claim,
    coupon_create,
    coupon_discount,
    coupon_transition,
    coupon_update,
    issued_coupon_lock_for_use,
)
from tests.factories.accounts import UserFactory
from tests.factories.commerce import CouponFactory
from tests.payments.helpers import order_for

pytestmark = pytest.mark.django_db


# --- claim ------------------------------------------------------------------------------------


def test_claim_issues_one_and_takes_one_from_the_quantity(user):
    coupon = CouponFactory(initial_quantity=3)

    issued = coupon_claim(coupon_id=coupon.pk, user=user)

    assert (issued.coupon_id, issued.user_id, issued.used_at, issued.order_id) == (coupon.pk, user.pk, None, None)
    coupon.refresh_from_db()
    assert (coupon.quantity, coupon.issued_count) == (2, 1)


def test_second_claim_by_the_same_customer_is_already_claimed(user):
    coupon = CouponFactory(initial_quantity=3)
    coupon_claim(coupon_id=coupon.pk, user=user)

    with pytest.raises(CouponAlreadyClaimedError) as caught:
        coupon_claim(coupon_id=coupon.pk, user=user)

    assert (caught.value.code, caught.value.http_status) == ("already_claimed", 409)
    coupon.refresh_from_db()
    assert coupon.quantity == 2
    assert IssuedCoupon.objects.count() == 1


def test_claim_after_the_last_one_is_sold_out(user):
    coupon = CouponFactory(initial_quantity=1)
    coupon_claim(coupon_id=coupon.pk, user=UserFactory())

    with pytest.raises(CouponSoldOutError) as caught:
        coupon_claim(coupon_id=coupon.pk, user=user)

    assert (caught.value.code, caught.value.http_status) == ("sold_out", 409)
    assert IssuedCoupon.objects.filter(user=user).count() == 0


@pytest.mark.parametrize("sold_out", [True, False])
def test_a_refused_claim_costs_one_statement(user, sold_out, django_assert_num_queries):
    # After a drop sells out, every claim is refused: the coupon and "holds it already" are read together.
    coupon = CouponFactory(initial_quantity=1 if sold_out else 5)
    coupon_claim(coupon_id=coupon.pk, user=UserFactory() if sold_out else user)

    with django_assert_num_queries(1), pytest.raises(CouponSoldOutError if sold_out else CouponAlreadyClaimedError):
        coupon_claim(coupon_id=coupon.pk, user=user)


@pytest.mark.parametrize(
    "attrs",
    [
        {"status": CouponStatus.PAUSED},
        {"status": CouponStatus.ENDED},
        {"starts_at": timezone.now() + timedelta(days=1)},
        {"expires_at": timezone.now() - timedelta(seconds=1)},
    ],
    ids=["paused", "ended", "not-started", "expired"],
)
def test_claim_of_a_coupon_that_is_not_live_is_not_claimable(user, attrs):
    coupon = CouponFactory(**attrs)
    with pytest.raises(CouponNotClaimableError) as caught:
        coupon_claim(coupon_id=coupon.pk, user=user)
    assert (caught.value.code, caught.value.http_status) == ("not_claimable", 409)
    coupon.refresh_from_db()
    assert coupon.quantity == coupon.initial_quantity


def test_claim_of_an_unknown_or_deleted_coupon_is_not_found(user):
    deleted = CouponFactory(deleted_at=timezone.now())
    for coupon_id in (deleted.pk, 999_999):
        with pytest.raises(NotFoundError):
            coupon_claim(coupon_id=coupon_id, user=user)


def test_claim_paused_between_check_and_update_says_not_claimable(user, monkeypatch):
    coupon = CouponFactory()
    original = coupon_claim.__globals__["coupon_is_live"]
    calls = []

    def live_then_pause(c, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            Coupon.objects.filter(pk=c.pk).update(status=CouponStatus.PAUSED)
            return True
        return original(c, **kwargs)

    monkeypatch.setitem(coupon_claim.__globals__, "coupon_is_live", live_then_pause)
    with pytest.raises(CouponNotClaimableError):
        coupon_claim(coupon_id=coupon.pk, user=user)


# --- discount ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discount_type", "value", "cap", "subtotal", "expected"),
    [
        (DiscountType.AMOUNT, "10.00", None, "50.00", "10.00"),
        (DiscountType.AMOUNT, "10.00", None, "6.50", "6.50"),  # never above the subtotal
        (DiscountType.PERCENTAGE, "15", None, "80.00", "12.00"),
        (DiscountType.PERCENTAGE, "15", None, "0.10", "0.02"),  # 0.015 rounds half up
        (DiscountType.PERCENTAGE, "15", "20.00", "1000.00", "20.00"),  # capped
        (DiscountType.PERCENTAGE, "15", "20.00", "100.00", "15.00"),  # under the cap
        (DiscountType.PERCENTAGE, "100", None, "42.42", "42.42"),
        (DiscountType.AMOUNT, "5.00", None, "0.00", "0.00"),
    ],
)
def test_coupon_discount(discount_type, value, cap, subtotal, expected):
    coupon = Coupon(
        discount_type=discount_type, discount_value=Decimal(value), max_discount_amount=cap and Decimal(cap)
    )
    assert coupon_discount(coupon=coupon, subtotal=Decimal(subtotal)) == Decimal(expected)


# --- use at checkout --------------------------------------------------------------------------


def test_lock_for_use_refuses_below_the_minimum_and_another_users_coupon(user, other_user):
    coupon = CouponFactory(minimum_order_value=Decimal("30.00"), discount_value=Decimal("10.00"))
    issued = coupon_claim(coupon_id=coupon.pk, user=user)
    with transaction.atomic():
        with pytest.raises(CouponNotUsableError) as caught:
            issued_coupon_lock_for_use(coupon_ref=issued.pk, user=user, subtotal=Decimal("29.99"))
        assert caught.value.extra == {"minimum_order_value": "30.00"}
        with pytest.raises(CouponNotUsableError):
            issued_coupon_lock_for_use(coupon_ref=issued.pk, user=other_user, subtotal=Decimal("50.00"))
        locked, discount = issued_coupon_lock_for_use(coupon_ref=issued.pk, user=user, subtotal=Decimal("30.00"))
    assert (locked.pk, discount) == (issued.pk, Decimal("10.00"))


# --- staff ------------------------------------------------------------------------------------


def test_create_sets_the_quantity_from_the_initial_quantity_and_normalises_the_code():
    coupon = coupon_create(
        name=" Spring ",
        code=" spring5 ",
        discount_type=DiscountType.AMOUNT,
        discount_value=Decimal("5"),
        initial_quantity=40,
    )
    assert (coupon.name, coupon.code, coupon.quantity, coupon.initial_quantity) == ("Spring", "SPRING5", 40, 40)
    assert coupon.discount_value == Decimal("5.00")
    assert coupon_code_taken(code="Spring5")
    assert not coupon_code_taken(code="spring5", exclude_id=coupon.pk)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"discount_value": Decimal("0")}, "discount_value"),
        ({"discount_type": DiscountType.PERCENTAGE, "discount_value": Decimal("101")}, "discount_value"),
        ({"initial_quantity": 0}, "initial_quantity"),
        (
            {"starts_at": timezone.now(), "expires_at": timezone.now() - timedelta(days=1)},
            "expires_at",
        ),
        ({"code": "TAKEN"}, "code"),
    ],
)
def test_create_refuses_bad_terms(kwargs, field):
    CouponFactory(code="TAKEN", deleted_at=timezone.now())
    terms = {
        "name": "X",
        "code": "NEW",
        "discount_type": DiscountType.AMOUNT,
        "discount_value": Decimal("5"),
        "initial_quantity": 10,
        **kwargs,
    }
    with pytest.raises(CouponInvalidError) as caught:
        coupon_create(**terms)
    assert caught.value.extra["field"] == field
    assert Coupon.all_objects.count() == 1


def test_update_changes_terms_but_never_the_quantities(user):
    coupon = CouponFactory(initial_quantity=10)
    coupon_claim(coupon_id=coupon.pk, user=user)
    coupon_update(coupon_id=coupon.pk, changes={"name": "Renamed", "discount_value": Decimal("7.00")})

    coupon.refresh_from_db()
    assert (coupon.name, coupon.discount_value, coupon.quantity) == ("Renamed", Decimal("7.00"), 9)
    with pytest.raises(CouponInvalidError):
        coupon_update(coupon_id=coupon.pk, changes={"quantity": 10})
    with pytest.raises(CouponInvalidError):
        coupon_update(coupon_id=coupon.pk, changes={"discount_value": Decimal("0")})


def test_transitions_follow_the_table():
    coupon = CouponFactory()
    assert coupon_transition(coupon_id=coupon.pk, to=CouponStatus.PAUSED).status == CouponStatus.PAUSED
    assert coupon_transition(coupon_id=coupon.pk, to=CouponStatus.ACTIVE).status == CouponStatus.ACTIVE
    assert coupon_transition(coupon_id=coupon.pk, to=CouponStatus.ENDED).status == CouponStatus.ENDED
    with pytest.raises(InvalidTransitionError) as caught:
        coupon_transition(coupon_id=coupon.pk, to=CouponStatus.ACTIVE)
    assert caught.value.extra == {"from": "ended", "to": "active"}
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ENDED
    with pytest.raises(NotFoundError):
        coupon_transition(coupon_id=999_999, to=CouponStatus.PAUSED)


# --- selectors --------------------------------------------------------------------------------


def test_claimable_lists_live_coupons_with_claimed_by_me(user):
    live = CouponFactory()
    claimed = CouponFactory()
    coupon_claim(coupon_id=claimed.pk, user=user)
    CouponFactory(status=CouponStatus.PAUSED)
    CouponFactory(expires_at=timezone.now() - timedelta(minutes=1))
    CouponFactory(starts_at=timezone.now() + timedelta(minutes=1))
    CouponFactory(deleted_at=timezone.now())

    rows = {c.pk: c.claimed_by_me for c in coupons_claimable(user=user)}

    assert rows == {live.pk: False, claimed.pk: True}


def test_coupons_of_gives_each_state(user, other_user):
    available = coupon_claim(coupon_id=CouponFactory().pk, user=user)
    used = coupon_claim(coupon_id=CouponFactory().pk, user=user)
    order = order_for(user)
    IssuedCoupon.objects.filter(pk=used.pk).update(used_at=timezone.now(), order=order)
    expiring = CouponFactory(expires_at=timezone.now() + timedelta(hours=1))
    expired = coupon_claim(coupon_id=expiring.pk, user=user)
    Coupon.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    ended_coupon = CouponFactory()
    ended = coupon_claim(coupon_id=ended_coupon.pk, user=user)
    coupon_transition(coupon_id=ended_coupon.pk, to=CouponStatus.ENDED)
    coupon_claim(coupon_id=CouponFactory().pk, user=other_user)

    states = {issued.pk: issued.state for issued in coupons_of(user=user)}

    assert states == {available.pk: "available", used.pk: "used", expired.pk: "expired", ended.pk: "unavailable"}
    assert [i.pk for i in coupons_of(user=user, state="available")] == [available.pk]
