"""Order pages and the home page: every GET renders, a good POST writes and says so, a bad one
says why and writes nothing, and another customer's order does not exist."""

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse

from inventory.models import InventoryItem
from orders.models import Order, OrderState
from orders.services import order_transition
from payments.models import Wallet
from promotions.models import IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.commerce import CategoryFactory, CouponFactory, ProductFactory, VariantFactory

from .conftest import funded_user, ledger_sum, place

pytestmark = pytest.mark.django_db

PRODUCT_PAGE = "/products/1/"


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def order_form(variant, **overrides):
    data = {"variant_id": variant.pk, "quantity": 1, "idempotency_key": uuid.uuid4().hex, "next": PRODUCT_PAGE}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def assert_strict_csp_markup(html: str) -> None:
    """No inline script or style: the Content-Security-Policy would block them."""
    assert ' style="' not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None


# --- home --------------------------------------------------------------------------------------


def test_home_shows_popular_products_categories_and_newest(client, customer):
    shoes = CategoryFactory(name="Shoes")
    CategoryFactory(name="Trail shoes", parent=shoes)
    best = VariantFactory(product=ProductFactory(title="Best seller", category=shoes), stock=20)
    other = VariantFactory(product=ProductFactory(title="Runner-up", category=shoes), stock=20)
    place(customer, best, 3)
    place(customer, other, 1)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    popular = html.split('id="popular-heading"')[1].split("</section>")[0]
    assert popular.index("Best seller") < popular.index("Runner-up")
    assert "3 sold" in popular
    categories = html.split('id="categories-heading"')[1].split("</section>")[0]
    assert "Shoes" in categories and "Trail shoes" not in categories  # top level only
    assert "New arrivals" in html
    assert_strict_csp_markup(html)


def test_home_without_sales_says_so(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Nothing sold in the last few days yet" in response.content.decode()


def test_home_query_count_does_not_grow_with_products(client, customer, django_assert_max_num_queries):
    def fill(n):
        for _ in range(n):
            place(customer, VariantFactory(stock=5))

    fill(2)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("home"))
    fill(10)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("home"))


# --- place -------------------------------------------------------------------------------------


def test_place_requires_sign_in(client, variant):
    response = client.post(reverse("orders:place"), order_form(variant))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert Order.objects.count() == 0


def test_place_is_post_only(shopper):
    assert shopper.get(reverse("orders:place")).status_code == 405


def test_place_orders_pays_and_shows_the_order(shopper, customer, variant):
    response = shopper.post(reverse("orders:place"), order_form(variant, quantity=2, special_instructions="Gift"))

    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.status_id == OrderState.PAID and order.total_amount == Decimal("40.00")
    assert order.special_instructions == "Gift"
    assert InventoryItem.objects.get(variant=variant).quantity == 8
    assert Wallet.objects.get(user=customer).balance == Decimal("460.00") == ledger_sum(customer)
    assert any(order.order_number in m and "paid" in m for m in messages_of(response))


def test_double_submitted_form_makes_one_order(shopper, customer, variant):
    form = order_form(variant)
    first = shopper.post(reverse("orders:place"), form)
    second = shopper.post(reverse("orders:place"), form)

    assert Order.objects.filter(customer=customer).count() == 1
    assert first["Location"] == second["Location"]
    assert "already placed" in " ".join(messages_of(second))
    assert Wallet.objects.get(user=customer).balance == Decimal("480.00")


def test_same_form_key_with_other_choices_is_refused_kindly(shopper, customer, variant):
    form = order_form(variant)
    shopper.post(reverse("orders:place"), form)
    response = shopper.post(reverse("orders:place"), {**form, "quantity": 2})

    assert response["Location"] == PRODUCT_PAGE
    assert "Reload the page" in " ".join(messages_of(response))
    assert Order.objects.filter(customer=customer).count() == 1


def test_place_with_a_coupon(shopper, customer, variant):
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)

    shopper.post(reverse("orders:place"), order_form(variant, coupon_id=issued.pk))

    order = Order.objects.get(customer=customer)
    assert (order.discount_amount, order.total_amount) == (Decimal("5.00"), Decimal("15.00"))
    assert IssuedCoupon.objects.get(pk=issued.pk).order_id == order.pk


def test_place_several_lines_at_once(shopper, customer):
    a, b, c = VariantFactory(price=Decimal("1.00")), VariantFactory(price=Decimal("2.00")), VariantFactory()
    response = shopper.post(
        reverse("orders:place"),
        {
            "line_variant_id": [a.pk, b.pk, c.pk],
            "line_quantity": ["2", "3", "0"],
            "idempotency_key": uuid.uuid4().hex,
        },
    )

    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    assert sorted(order.items.values_list("variant_id", "quantity")) == [(a.pk, 2), (b.pk, 3)]
    assert order.total_amount == Decimal("8.00")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quantity": "0"}, "greater than or equal to 1"),
        ({"quantity": "-1"}, "greater than or equal to 1"),
        ({"quantity": "1.5"}, "whole number"),
        ({"quantity": "abc"}, "whole number"),
        ({"quantity": "100"}, "less than or equal to 99"),
        ({"quantity": "99999999999999999999"}, "less than or equal to 99"),
        ({"quantity": None}, "Enter a quantity"),
        ({"variant_id": None}, "Choose an option"),
        ({"variant_id": "x"}, "whole number"),
        ({"idempotency_key": None}, "required"),
        ({"idempotency_key": "<script>"}, "Reload the page"),
        ({"coupon_id": "-3"}, "greater than or equal to 1"),
    ],
)
def test_place_with_bad_input_goes_back_with_the_reason(shopper, customer, variant, overrides, message):
    response = shopper.post(reverse("orders:place"), order_form(variant, **overrides))

    assert response.status_code == 302 and response["Location"] == PRODUCT_PAGE
    assert message in " ".join(messages_of(response))
    assert Order.objects.count() == 0
    assert InventoryItem.objects.get(variant=variant).quantity == 10


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda variant, user: {"quantity": 11}, "Only 10 left"),
        (lambda variant, user: {"variant_id": 999999}, "no longer for sale"),
        (
            lambda variant, user: {"coupon_id": CouponFactory(minimum_order_value=Decimal("100.00")).pk},
            "You do not have this coupon",
        ),
    ],
)
def test_place_refused_by_checkout_changes_nothing(shopper, customer, variant, setup, message):
    response = shopper.post(reverse("orders:place"), order_form(variant, **setup(variant, customer)))

    assert response["Location"] == PRODUCT_PAGE
    assert message in " ".join(messages_of(response))
    assert Order.objects.count() == 0
    assert InventoryItem.objects.get(variant=variant).quantity == 10
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)


def test_place_without_enough_money_says_top_up(client, variant):
    poor = funded_user("5.00")
    client.force_login(poor)

    response = client.post(reverse("orders:place"), order_form(variant))

    assert "Top it up" in " ".join(messages_of(response))
    assert Order.objects.count() == 0 and ledger_sum(poor) == Decimal("5.00")


def test_place_never_redirects_off_site(shopper, variant):
    response = shopper.post(
        reverse("orders:place"), order_form(variant, quantity="0", next="https://evil.example.com/"), HTTP_REFERER=""
    )
    assert response["Location"] == reverse("home")


def test_product_page_offers_my_unused_coupons(shopper, customer, variant):
    mine = coupon_claim(coupon_id=CouponFactory(name="Ten off").pk, user=customer)
    used = coupon_claim(coupon_id=CouponFactory(name="Already used").pk, user=customer)
    place(customer, variant, coupon_ref=used.pk)
    coupon_claim(coupon_id=CouponFactory(name="Someone else's").pk, user=funded_user())

    response = shopper.get(reverse("catalog:product_detail", args=[variant.product_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{mine.pk}"' in html and "Ten off" in html
    assert "Already used" not in html and "Someone else" not in html
    assert 'name="idempotency_key"' in html and reverse("orders:place") in html
    assert_strict_csp_markup(html)


# --- list and detail ---------------------------------------------------------------------------


def test_order_list_shows_only_mine(shopper, customer, other_customer, variant):
    mine = place(customer, variant)
    theirs = place(other_customer, variant)

    response = shopper.get(reverse("orders:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert mine.order_number in html and theirs.order_number not in html
    assert_strict_csp_markup(html)


def test_order_list_is_paginated_with_constant_queries(shopper, customer, django_assert_max_num_queries):
    def fill(n):
        for _ in range(n):
            place(customer, VariantFactory(stock=5))

    fill(2)
    with django_assert_max_num_queries(20) as few:
        assert shopper.get(reverse("orders:list")).status_code == 200
    fill(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = shopper.get(reverse("orders:list"))
    assert response.content.decode().count('<th scope="row"><a href="/orders/') == 10
    assert shopper.get(reverse("orders:list"), {"page": 2}).status_code == 200
    assert shopper.get(reverse("orders:list"), {"page": "nonsense"}).status_code == 200


def test_order_list_empty(shopper):
    assert "You have not ordered anything yet" in shopper.get(reverse("orders:list")).content.decode()


def test_order_detail_shows_everything(shopper, customer, variant):
    issued = coupon_claim(coupon_id=CouponFactory(code="TENOFF", discount_value=Decimal("10.00")).pk, user=customer)
    order = place(customer, variant, 2, coupon_ref=issued.pk)

    response = shopper.get(reverse("orders:detail", args=[order.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    for text in (order.order_number, variant.product.title, "40.00", "10.00", "30.00", "TENOFF", "Paid"):
        assert text in html
    assert "Order placed" in html and "Shop wallet" in html
    assert reverse("orders:cancel", args=[order.pk]) in html
    assert_strict_csp_markup(html)


def test_another_customers_order_is_404_everywhere(shopper, other_customer, variant):
    theirs = place(other_customer, variant)

    assert shopper.get(reverse("orders:detail", args=[theirs.pk])).status_code == 404
    assert shopper.get(reverse("orders:cancel", args=[theirs.pk])).status_code == 404
    assert shopper.post(reverse("orders:cancel", args=[theirs.pk])).status_code == 404
    assert shopper.get(reverse("orders:detail", args=[10**25])).status_code == 404  # beyond bigint
    theirs.refresh_from_db()
    assert theirs.status_id == OrderState.PAID


def test_pages_need_sign_in(client, customer, variant):
    order = place(customer, variant)
    for url in (
        reverse("orders:list"),
        reverse("orders:detail", args=[order.pk]),
        reverse("orders:cancel", args=[order.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_asks_first_then_cancels(shopper, customer, variant):
    order = place(customer, variant, 2)

    confirm = shopper.get(reverse("orders:cancel", args=[order.pk]))
    assert confirm.status_code == 200 and "Yes, cancel the order" in confirm.content.decode()
    assert_strict_csp_markup(confirm.content.decode())
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID  # a GET changes nothing

    response = shopper.post(reverse("orders:cancel", args=[order.pk]), {"reason": "Too slow"})

    assert response["Location"] == reverse("orders:detail", args=[order.pk])
    assert "cancelled" in " ".join(messages_of(response))
    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED
    assert order.history.last().reason == "Too slow"
    assert InventoryItem.objects.get(variant=variant).quantity == 10
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)
    detail = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Cancelled" in detail and "Too slow" in detail
    assert reverse("orders:cancel", args=[order.pk]) not in detail


def test_cancel_a_shipped_order_is_a_request(shopper, customer, superuser, variant):
    order = place(customer, variant)
    order_transition(order_id=order.pk, to=OrderState.PROCESSING, actor=superuser)
    order_transition(order_id=order.pk, to=OrderState.SHIPPED, actor=superuser)

    confirm = shopper.get(reverse("orders:cancel", args=[order.pk])).content.decode()
    assert "this is a request" in confirm and "Yes, ask to cancel the order" in confirm
    response = shopper.post(reverse("orders:cancel", args=[order.pk]), {"reason_code": "too_slow", "reason": "Late"})

    assert "Your request to cancel order" in " ".join(messages_of(response))
    order.refresh_from_db()
    assert order.status_id == OrderState.SHIPPED
    detail = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Requested" in detail and "Late" in detail
    assert reverse("orders:cancel", args=[order.pk]) not in detail  # one request at a time
    waiting = shopper.get(reverse("orders:cancel", args=[order.pk])).content.decode()
    assert "waiting for our staff" in waiting and "Yes, ask to cancel" not in waiting


def test_cancel_a_delivered_order_is_refused(shopper, customer, superuser, variant):
    order = place(customer, variant)
    for to in (OrderState.PROCESSING, OrderState.SHIPPED, OrderState.DELIVERED):
        order_transition(order_id=order.pk, to=to, actor=superuser)

    assert "can no longer be cancelled" in shopper.get(reverse("orders:cancel", args=[order.pk])).content.decode()
    response = shopper.post(reverse("orders:cancel", args=[order.pk]))

    assert "can no longer be cancelled" in " ".join(messages_of(response))
    order.refresh_from_db()
    assert order.status_id == OrderState.DELIVERED


def test_cancel_with_a_too_long_reason_shows_the_error(shopper, customer, variant):
    order = place(customer, variant)
    response = shopper.post(reverse("orders:cancel", args=[order.pk]), {"reason": "x" * 300})
    assert response.status_code == 400
    assert "at most 255" in response.content.decode()
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID


def test_the_form_sends_an_issued_coupons_id_and_a_coupons_own_id_is_refused(shopper, customer, variant):
    """The page speaks the API's contract: `coupon_id` is the issued coupon's id."""
    coupon = CouponFactory(pk=2**40, discount_value=Decimal("5.00"))  # an id no issued coupon has
    issued = coupon_claim(coupon_id=coupon.pk, user=customer)
    html = shopper.get(reverse("catalog:product_detail", args=[variant.product_id])).content.decode()
    assert f'<option value="{issued.pk}">' in html and f'value="{coupon.pk}"' not in html

    refused = shopper.post(reverse("orders:place"), order_form(variant, coupon_id=coupon.pk))

    assert refused["Location"] == PRODUCT_PAGE
    assert "You do not have this coupon" in " ".join(messages_of(refused))
    assert not Order.objects.exists()
