"""A guest's cart in a real browser: fill it without an account (htmx: the badge and the totals move
in place), sign up from the cart, sign in, find the same cart (merged), add an address at checkout
and pay from the wallet."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from carts.models import Cart, CartStatus
from orders.models import Order
from payments.models import Wallet
from payments.services import wallet_charge
from tests.factories.commerce import ProductFactory, ShippingRuleFactory, VariantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase"


def test_a_guest_fills_a_cart_signs_up_from_it_and_checks_out(page):
    teapot = ProductFactory(title="Blue Teapot", base_price=Decimal("20.00"))
    VariantFactory(product=teapot, name="1 l", price=Decimal("20.00"), stock=5)
    cup = ProductFactory(title="Green Cup", base_price=Decimal("6.00"))
    VariantFactory(product=cup, name="Small", price=Decimal("6.00"), stock=10)
    ShippingRuleFactory(name="UK post", country="GB", flat_rate=Decimal("5.00"))
    badge = page.locator("header .cart-count")

    # A visitor: "Add to cart" answers in place, and the header counts the guest's cart.
    for product, quantity, count in ((teapot, "2", "2"), (cup, "1", "3")):
        page.goto(f"/products/{product.pk}/")
        page.get_by_label("Quantity").fill(quantity)
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("#cart-add-status")).to_contain_text("Added to your cart")
        expect(badge).to_contain_text(count)

    # The cart: a change and a removal update the totals and the badge without a reload.
    page.locator("header").get_by_role("link", name="Cart").click()
    expect(page.locator("table.cart-lines tfoot")).to_contain_text("46.00")
    page.evaluate("window.__same_page = true")
    page.get_by_label("Quantity of Blue Teapot").fill("3")
    page.locator("form.cart-quantity").filter(has=page.get_by_label("Quantity of Blue Teapot")).get_by_role(
        "button", name="Update"
    ).click()
    expect(page.locator(".messages")).to_contain_text("Cart updated.")
    expect(page.locator("table.cart-lines tfoot")).to_contain_text("66.00")
    expect(badge).to_contain_text("4")
    page.get_by_role("button", name="Remove Green Cup").click()
    expect(page.locator("table.cart-lines")).not_to_contain_text("Green Cup")
    expect(page.locator("table.cart-lines tfoot")).to_contain_text("60.00")
    expect(badge).to_contain_text("3")
    assert page.evaluate("window.__same_page") is True  # no full reload
    # More than the stock is refused by name.
    page.get_by_label("Quantity of Blue Teapot").fill("9")
    page.get_by_role("button", name="Update").click()
    expect(page.locator(".messages")).to_contain_text("Only 5 left of Blue Teapot; your cart cannot hold 9.")

    # Checkout needs an account: create one from the cart, then sign in, and come back to it.
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("guest@example.com")
    page.get_by_label("First name").fill("Gwen")
    page.get_by_label("Last name").fill("Guest")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill("guest@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator("table.cart-lines")).to_contain_text("Blue Teapot")
    expect(page.locator("table.cart-lines tfoot")).to_contain_text("60.00")
    customer = User.objects.get(email="guest@example.com")
    assert Cart.objects.get(customer=customer, status=CartStatus.ACTIVE).items.get().quantity == 3
    assert Cart.objects.get(customer=None).status == CartStatus.MERGED

    # Money in the new wallet (a top-up, as the funded demo customers get theirs), an address at
    # checkout, and the order.
    wallet_charge(user=customer, amount="100.00")
    page.goto("/orders/checkout/")
    expect(page.locator("main")).to_contain_text("You have no delivery address yet")
    page.get_by_label("Recipient").fill("Gwen Guest")
    page.locator("#id_new-street_address").fill("1 Harbour Road")
    page.get_by_label("City").fill("Leeds")
    page.get_by_label("Postal code").fill("LS1 4AP")
    page.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name="Add and deliver here").click()
    page.get_by_role("button", name="Place order and pay 65.00").click()
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()
    assert order.total_amount == Decimal("65.00")
    assert Wallet.objects.get(user=customer).balance == Decimal("35.00")
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED
