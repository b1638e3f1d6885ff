"""The cart in a real browser: add from two product pages, change and remove lines, check out."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from carts.models import Cart, CartStatus
from orders.models import Order
from payments.models import Wallet
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.commerce import ProductFactory, VariantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_fills_the_cart_changes_it_and_checks_out(page):
    customer = UserFactory(email="cart@example.com")
    wallet_charge(user=customer, amount="200.00")
    mug = ProductFactory(title="Enamel Mug", base_price=Decimal("12.00"))
    VariantFactory(product=mug, name="Blue", price=Decimal("12.00"), stock=10)
    lamp = ProductFactory(title="Desk Lamp", base_price=Decimal("45.00"))
    VariantFactory(product=lamp, name="Black", price=Decimal("45.00"), stock=5)

    page.goto("/accounts/signin/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header summary", has_text="Account")).to_be_visible()

    # Two products into the cart; each add comes back to its product page with a message.
    for product, quantity in ((mug, "2"), (lamp, "1")):
        page.goto(f"/products/{product.pk}/")
        page.get_by_label("Quantity").fill(quantity)
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator(".messages")).to_contain_text("Added to your cart")
        expect(page.get_by_role("heading", name=product.title)).to_be_visible()

    # The header's cart link; the lines and the total.
    page.locator("header").get_by_role("link", name="Cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator("table.cart-lines tfoot")).to_contain_text("69.00")

    # Three mugs, no lamp.
    page.get_by_label("Quantity of Enamel Mug").fill("3")
    page.locator("form.cart-quantity").filter(has=page.get_by_label("Quantity of Enamel Mug")).get_by_role(
        "button", name="Update"
    ).click()
    expect(page.locator(".messages")).to_contain_text("Cart updated.")
    page.get_by_role("button", name="Remove Desk Lamp").click()
    expect(page.locator(".messages")).to_contain_text("Removed from your cart.")
    expect(page.locator("table.cart-lines")).not_to_contain_text("Desk Lamp")
    expect(page.locator("table.cart-lines tfoot")).to_contain_text("36.00")

    # Check out: the order page, the money, an empty cart.
    page.get_by_role("button", name="Place order").click()
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()
    expect(page.locator("table.order-totals tr.grand-total")).to_contain_text("36.00")
    assert Wallet.objects.get(user=customer).balance == Decimal("164.00")
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED
    page.goto("/cart/")
    expect(page.locator("main")).to_contain_text("Your cart is empty.")
