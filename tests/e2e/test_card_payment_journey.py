"""Paying an order by card in a real browser: a card order, a test card saved on the way (the
processor's card page), the bank's confirmation step (the sandbox processor's page), the page
that waits for the confirmation, the order paid; and a declined card, whose reason the order
page shows, with nothing charged."""

import datetime as dt
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

CARD_NUMBER = THREE_DS  # asks the customer to confirm with their bank

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, user) -> None:
    page.goto("/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header summary", has_text="Account")).to_be_visible()


def test_save_a_card_on_the_way_and_pay_through_the_banks_confirmation_step(page):
    customer = CustomerFactory().user
    wallet_charge(user=customer, amount="100.00")
    variant = VariantFactory(
        product=ProductFactory(title="Trail Lantern", base_price=Decimal("30.00")), price=Decimal("30.00"), stock=4
    )
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    sign_in(page, customer)

    # Checkout by card: the order waits for its payment, its items held.
    page.goto("/orders/checkout/")
    page.get_by_label("Card", exact=True).check()
    page.get_by_role("button", name="Place order and pay").click()
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name="Pay for this order")).to_be_visible()
    expect(page.locator("main")).to_contain_text("You have no saved card yet")
    assert order.status_id == OrderState.PENDING
    assert InventoryItem.objects.get(variant=variant).available_quantity == 2

    # Save a test card: the billing address here, the card on the processor's page, back to the order.
    page.get_by_role("button", name="Add a card").click()
    page.get_by_role("button", name="Continue to the card form").click()
    page.get_by_label("Card number").fill(CARD_NUMBER)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(dt.date.today().year + 3))
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("•••• 3184")
    assert CARD_NUMBER not in page.content()

    # Pay: the bank's confirmation step shows the amount; approve it.
    page.get_by_role("button", name="Pay 60.00").click()
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page.locator("main")).to_contain_text("60.00")
    page.get_by_role("button", name="Approve").click()

    # Back at the shop: "Confirming your payment…" until the webhook lands, then the order, paid.
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible(timeout=20_000)
    expect(page.locator(".messages")).to_contain_text("is paid")
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
