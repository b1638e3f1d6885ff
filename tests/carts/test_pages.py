"""The cart pages: add from the product page, change, remove, check out; bad input and other
customers' items refused with nothing written."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carts.models import Cart, CartItem, CartStatus
from carts.services import cart_add_item
from orders.models import Order
from payments.models import Wallet
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, VariantFactory
from tests.orders.conftest import funded_user
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def test_the_header_links_to_the_cart_for_everyone(client):
    response = client.get(reverse("home"))
    assert f'href="{reverse("carts:detail")}"' in response.content.decode()


def test_the_header_counts_the_units_in_the_cart(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
    html = shopper.get(reverse("catalog:product_list")).content.decode()
    assert '<span class="badge cart-count">3<span class="visually-hidden"> items</span></span>' in html

    # A removed line no longer counts, and one unit reads as one item.
    line = CartItem.objects.get(cart__customer=customer, variant=variant)
    shopper.post(reverse("carts:item_remove", args=[line.pk]))
    html = shopper.get(reverse("catalog:product_list")).content.decode()
    assert '<span class="badge cart-count">1<span class="visually-hidden"> item</span></span>' in html


def test_the_header_and_the_cart_page_agree_on_a_hidden_cart(shopper, customer, variant):
    # A soft-deleted cart is no cart: not on the page, not in the header's count.
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    Cart.all_objects.filter(customer=customer).update(deleted_at=timezone.now())
    assert "cart-count" not in shopper.get(reverse("catalog:product_list")).content.decode()
    assert "Total for 2 items" not in shopper.get(reverse("carts:detail")).content.decode()


def test_the_cart_page_counts_its_own_lines_for_the_header(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    with CaptureQueriesContext(connection) as page:
        html = shopper.get(reverse("carts:detail")).content.decode()
    assert '<span class="badge cart-count">2<span class="visually-hidden"> items</span></span>' in html
    assert "Total for 2 items" in html
    # No count of its own (the lines' query sums stock rows for the stock flags, not the cart).
    assert not any('SUM("carts_cartitem"."quantity")' in query["sql"] for query in page.captured_queries)


def test_the_header_shows_no_count_for_an_empty_cart_or_a_visitor(client, customer):
    with CaptureQueriesContext(connection) as visitor:
        html = client.get(reverse("catalog:product_list")).content.decode()
    assert "cart-count" not in html
    assert not any("carts_cartitem" in query["sql"] for query in visitor.captured_queries)

    client.force_login(customer)
    with CaptureQueriesContext(connection) as signed_in:
        html = client.get(reverse("catalog:product_list")).content.decode()
    assert "cart-count" not in html
    assert sum("carts_cartitem" in query["sql"] for query in signed_in.captured_queries) == 1


def test_an_empty_cart_says_so(shopper):
    response = shopper.get(reverse("carts:detail"))
    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()


def test_the_product_page_offers_add_to_cart(shopper, variant):
    response = shopper.get(reverse("catalog:product_detail", args=[variant.product_id]))
    assert f'formaction="{reverse("carts:add")}"' in response.content.decode()


def test_add_from_the_product_page_goes_back_there_with_a_message(shopper, customer, variant):
    product_page = reverse("catalog:product_detail", args=[variant.product_id])
    response = shopper.post(
        reverse("carts:add"), {"variant_id": variant.pk, "quantity": "2", "next": product_page}, follow=True
    )
    assert response.redirect_chain[-1][0] == product_page
    assert any("Added to your cart" in m for m in messages_of(response))
    assert CartItem.objects.get(cart__customer=customer).quantity == 2


@pytest.mark.parametrize(
    "form, message",
    [
        ({"variant_id": "", "quantity": "1"}, "Choose an option."),
        ({"variant_id": "x", "quantity": "1"}, "Option"),
        ({"variant_id": "{variant}", "quantity": "0"}, "Quantity"),
        ({"variant_id": "{variant}", "quantity": "100"}, "Quantity"),
        ({"variant_id": "{variant}", "quantity": "1.5"}, "Quantity"),
        ({"variant_id": "999999999", "quantity": "1"}, "not for sale"),
    ],
)
def test_bad_input_is_a_message_and_nothing_is_written(shopper, variant, form, message):
    form = {key: value.replace("{variant}", str(variant.pk)) for key, value in form.items()}
    response = shopper.post(reverse("carts:add"), form, follow=True)
    assert response.status_code == 200
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert not CartItem.objects.exists()


def test_the_cart_page_lists_lines_totals_and_checkout(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    page = shopper.get(reverse("carts:detail")).content.decode()
    assert "Blue teapot" in page
    assert "60.00" in page
    assert "Total for 3 items" in page
    assert f'action="{reverse("orders:checkout")}"' in page
    assert re.search(r'<label for="cart-quantity-\d+"', page)


def test_the_cart_page_costs_the_same_queries_for_one_line_or_many(shopper, customer):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert shopper.get(reverse("carts:detail")).status_code == 200
        return len(captured)

    cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
    queries_for_page()  # the first request of a sign-in also records its last activity
    one = queries_for_page()
    for _ in range(5):
        cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
    assert queries_for_page() == one


def test_update_and_remove_a_line(shopper, customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    response = shopper.post(reverse("carts:item_update", args=[item.pk]), {"quantity": "4"}, follow=True)
    assert "Cart updated." in messages_of(response)
    assert CartItem.objects.get(pk=item.pk).quantity == 4

    response = shopper.post(reverse("carts:item_update", args=[item.pk]), {"quantity": "-2"}, follow=True)
    assert any("Quantity" in m for m in messages_of(response))
    assert CartItem.objects.get(pk=item.pk).quantity == 4

    response = shopper.post(reverse("carts:item_remove", args=[item.pk]), follow=True)
    assert "Removed from your cart." in messages_of(response)
    assert not CartItem.objects.filter(pk=item.pk).exists()


def test_another_customers_line_is_a_404_and_unchanged(client, customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    client.force_login(funded_user())
    assert client.post(reverse("carts:item_update", args=[item.pk]), {"quantity": "9"}).status_code == 404
    assert client.post(reverse("carts:item_remove", args=[item.pk])).status_code == 404
    assert CartItem.objects.get(pk=item.pk).quantity == 2


def test_checkout_from_the_cart_shows_the_paid_order(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    response = shopper.post(reverse("orders:checkout"), {"idempotency_key": "a" * 32}, follow=True)
    order = Order.objects.get(customer=customer)
    assert response.redirect_chain[-1][0] == reverse("orders:detail", args=[order.pk])
    assert any("is paid and confirmed" in m for m in messages_of(response))
    assert order.total_amount == Decimal("40.00")
    assert Wallet.objects.get(user=customer).balance == Decimal("460.00")
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED


def test_a_double_submitted_checkout_is_one_order(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    first = shopper.post(reverse("orders:checkout"), {"idempotency_key": "b" * 32})
    second = shopper.post(reverse("orders:checkout"), {"idempotency_key": "b" * 32})
    assert first["Location"] == second["Location"]
    assert Order.objects.filter(customer=customer).count() == 1


def test_a_refused_checkout_goes_back_to_the_cart_with_the_reason(client, variant):
    poor = funded_user("5.00")
    client.force_login(poor)
    cart_add_item(user=poor, variant_id=variant.pk, quantity=1)
    response = client.post(reverse("orders:checkout"), {"idempotency_key": "c" * 32}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("carts:detail")
    assert messages_of(response), "the reason is shown"
    assert not Order.objects.exists()
    assert Cart.objects.get(customer=poor).status == CartStatus.ACTIVE


def test_an_empty_cart_checkout_is_a_message(shopper):
    response = shopper.post(reverse("orders:checkout"), {"idempotency_key": "d" * 32}, follow=True)
    assert "Your cart is empty." in messages_of(response)
    assert not Order.objects.exists()


def test_admin_lists_carts_with_their_items(staff_client, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    cart = Cart.objects.get()
    for url in (
        reverse("admin:carts_cart_changelist"),
        reverse("admin:carts_cart_change", args=[cart.pk]),
        reverse("admin:carts_cartitem_changelist"),
        reverse("admin:carts_cart_changelist") + "?q=" + customer.email,
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert customer.email in response.content.decode()
    assert staff_client.get(reverse("admin:carts_cart_add")).status_code == 403


def test_checkout_from_the_cart_takes_the_customers_coupon(shopper, customer, variant):
    coupon = CouponFactory(name="Five off", code="FIVE", discount_value=Decimal("5.00"))
    issued = coupon_claim(coupon_id=coupon.pk, user=customer)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    page = shopper.get(reverse("carts:detail")).content.decode()
    assert '<label for="checkout-coupon">' in page
    assert f'<option value="{issued.pk}">Five off (FIVE)</option>' in page

    shopper.post(reverse("orders:checkout"), {"idempotency_key": "e" * 32, "coupon_id": str(issued.pk)})
    order = Order.objects.get(customer=customer)
    assert (order.discount_amount, order.total_amount) == (Decimal("5.00"), Decimal("15.00"))
