"""The whole shopping journey in a real browser: sign in, top up, claim a coupon, buy, cancel."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderState
from payments.models import Wallet
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.commerce import CouponFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_buys_with_a_coupon_then_cancels_and_gets_the_money_back(page):
    customer = UserFactory(email="shopper@example.com")
    product = ProductFactory(title="Trail Running Shoe", base_price=Decimal("60.00"))
    VariantFactory(product=product, name="EU 42", price=Decimal("60.00"), stock=3)
    CouponFactory(name="Ten off", code="TENOFF", discount_value=Decimal("10.00"), initial_quantity=5)

    # Sign in.
    page.goto("/accounts/signin/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header summary", has_text="Account")).to_be_visible()

    # Charge the wallet.
    page.goto("/wallet/")
    page.get_by_label("Amount", exact=False).fill("100.00")
    page.get_by_role("button", name="Top up").click()
    expect(page.locator("#wallet-balance")).to_contain_text("100.00")

    # Claim the coupon.
    page.goto("/coupons/")
    page.locator("#coupon-list, main").get_by_role("button", name="Claim").first.click()
    expect(page.locator(".messages")).to_contain_text("TENOFF is yours")
    page.goto("/coupons/mine/")
    expect(page.locator("main")).to_contain_text("TENOFF")

    # Open the product and order it with the coupon.
    page.goto(f"/products/{product.pk}/")
    expect(page.get_by_role("heading", name="Trail Running Shoe")).to_be_visible()
    page.get_by_label("Quantity").fill("1")
    page.get_by_label("Coupon").select_option(label="Ten off (TENOFF)")
    page.get_by_role("button", name="Buy now").click()

    # The order page shows the right totals.
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()
    totals = page.locator("table.order-totals")
    expect(totals).to_contain_text("60.00")
    expect(totals).to_contain_text("10.00")
    expect(totals.locator("tr.grand-total")).to_contain_text("50.00")
    assert Wallet.objects.get(user=customer).balance == Decimal("50.00")

    # Cancel it; the balance is restored.
    page.get_by_role("button", name="Cancel this order").click()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.locator("main")).to_contain_text("Cancelled")
    page.goto("/wallet/")
    expect(page.locator("#wallet-balance")).to_contain_text("100.00")
    order.refresh_from_db()
    assert order.status_id == OrderState.CANCELLED
    assert Wallet.objects.get(user=customer).balance == Decimal("100.00")


def test_a_visitor_sees_the_stock_fall_as_soon_as_a_customer_buys(page, settings):
    """Anonymous product pages are cached (common/public_cache.py), and still live."""
    settings.PUBLIC_CACHE_ENABLED = True
    customer = UserFactory(email="buyer@example.com")
    product = ProductFactory(title="Camp Stove", base_price=Decimal("40.00"))
    VariantFactory(product=product, name="Standard", price=Decimal("40.00"), stock=3)
    wallet_charge(user=customer, amount="100.00")

    # A visitor reads the page twice: the second answer comes from the cache.
    page.goto(f"/products/{product.pk}/")
    expect(page.locator("main")).to_contain_text("Only 3 left")
    second = page.goto(f"/products/{product.pk}/")
    assert second.headers.get("x-public-cache") == "hit"

    # A customer buys two in another browser.
    buyer = page.context.browser.new_context(base_url=page.url.split("/products/")[0])
    shop = buyer.new_page()
    shop.goto("/accounts/signin/")
    shop.get_by_label("Email").fill(customer.email)
    shop.get_by_label("Password").fill(DEFAULT_PASSWORD)
    shop.get_by_role("button", name="Sign in").click()
    shop.goto(f"/products/{product.pk}/")
    shop.get_by_label("Quantity").fill("2")
    shop.get_by_role("button", name="Buy now").click()
    expect(shop.get_by_role("heading", name="Order OM-")).to_be_visible()
    buyer.close()

    # The visitor's next look shows it.
    page.reload()
    expect(page.locator("main")).to_contain_text("Only 1 left")
