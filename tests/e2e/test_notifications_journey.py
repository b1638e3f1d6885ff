"""In a real browser: an order's confirmation arrives by e-mail and in the account, the header
counts it until the customer opens it, and opening it leads to the order."""

from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from orders.models import Order
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.commerce import ProductFactory, VariantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_confirmation_is_e_mailed_counted_in_the_header_and_opens_the_order(page):
    customer = UserFactory(email="reader@example.com")
    wallet_charge(user=customer, amount="100.00")
    product = ProductFactory(title="Wool Socks", base_price=Decimal("9.00"))
    VariantFactory(product=product, name="M", price=Decimal("9.00"), stock=3)

    page.goto("/accounts/signin/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    badge = page.locator("header .notification-count")
    expect(page.locator("header summary", has_text="Account")).to_be_visible()
    expect(badge).to_have_count(0)

    page.goto(f"/products/{product.pk}/")
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Buy now").click()
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()

    # Sent after commit: the e-mail, and the same news in the account.
    assert [m.subject for m in mail.outbox] == [f"Your order {order.order_number} is confirmed"]
    page.reload()
    expect(badge).to_contain_text("1")

    page.locator("header").get_by_role("link", name="Notifications").click()
    item = page.locator(".notification-list article").first
    expect(item).to_contain_text(f"Your order {order.order_number} is confirmed")
    expect(item).to_contain_text("Wool Socks")
    item.get_by_role("button", name="View order").click()

    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()
    expect(badge).to_have_count(0)
