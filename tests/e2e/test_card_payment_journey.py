"""Paying an order by card in a real browser: the checkout with a saved card, the bank's
confirmation step (the sandbox processor's page), the page that waits for the confirmation, the
order paid; and a declined card, whose reason the order page shows, with nothing charged."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from carts.services import cart_add_item
from inventory.models import InventoryItem
from orders.models import Order, OrderState
from payments.models import Payment, PaymentStatus, Wallet
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory
from tests.factories.commerce import ProductFactory, VariantFactory
from tests.payments.cards import DECLINED, OK, THREE_DS, saved_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, user) -> None:
    page.goto("/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header summary", has_text="Account")).to_be_visible()


def test_a_card_that_asks_for_confirmation_pays_the_order_once_the_bank_says_yes(page):
    customer = CustomerFactory().user
    wallet_charge(user=customer, amount="100.00")
    variant = VariantFactory(
        product=ProductFactory(title="Trail Lantern", base_price=Decimal("30.00")), price=Decimal("30.00"), stock=4
    )
    card = saved_card(customer, THREE_DS)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    sign_in(page, customer)

    # Checkout: pay with the saved card.
    page.goto("/orders/checkout/")
    page.get_by_label(f"{card.brand} •••• {card.last4}").check()
    page.get_by_role("button", name="Place order and pay").click()

    # The bank's confirmation step: the amount, approve.
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page.locator("main")).to_contain_text("60.00")
    order = Order.objects.get(customer=customer)
    assert order.status_id == OrderState.PENDING
    assert InventoryItem.objects.get(variant=variant).available_quantity == 2  # held for this order
    page.get_by_role("button", name="Approve").click()

    # Back at the shop: "Confirming your payment…" until the webhook lands, then the order, paid.
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible(timeout=20_000)
    expect(page.locator(".messages")).to_contain_text("is paid")
    expect(page.locator("main")).to_contain_text("Paid")
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID
    assert Payment.objects.get(order=order).status == PaymentStatus.CAPTURED
    item = InventoryItem.objects.get(variant=variant)
    assert (item.quantity, item.reserved_quantity) == (2, 0)
    assert Wallet.objects.get(user=customer).balance == Decimal("100.00")  # the card paid


def test_a_declined_card_shows_the_reason_and_another_card_pays(page):
    customer = CustomerFactory().user
    variant = VariantFactory(
        product=ProductFactory(title="Camp Kettle", base_price=Decimal("25.00")), price=Decimal("25.00"), stock=3
    )
    declined = saved_card(customer, DECLINED, is_default=True)
    good = saved_card(customer, OK)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    sign_in(page, customer)

    # Checkout by card, paid on the order's page next.
    page.goto("/orders/checkout/")
    page.get_by_label("Another card").check()
    page.get_by_role("button", name="Place order and pay").click()
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name="Pay for this order")).to_be_visible()

    # The default card is declined: the reason, and nothing charged.
    page.get_by_label(f"{declined.brand} •••• {declined.last4}").check()
    page.get_by_role("button", name="Pay 25.00").click()
    expect(page.locator(".messages")).to_contain_text("Your card was declined. Nothing was charged")
    expect(page.locator("main")).to_contain_text("Your last payment did not go through")
    assert Payment.objects.get(order=order).captured_amount == 0

    # Another card pays it.
    page.get_by_label(f"{good.brand} •••• {good.last4}").check()
    page.get_by_role("button", name="Pay 25.00").click()
    expect(page.locator(".messages")).to_contain_text("is paid")
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID
