"""A customer saves test cards through the sandbox's card page and tops up the wallet with them:
one top-up through the bank's confirmation step, one declined card that shows its reason and
charges nothing."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from payments.models import Payment, PaymentMethod, PaymentStatus, WalletEntry
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _save_card(page, number: str) -> None:
    page.goto("/wallet/methods/")
    page.get_by_role("button", name="Add a card").click()
    page.get_by_label("Name on the card").fill("Ada Lovelace")
    page.get_by_role("button", name="Continue to the card form").click()
    # The processor's page: the number is typed there, never on the shop's pages.
    expect(page.get_by_role("heading", name="Add a card")).to_be_visible()
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(timezone.localdate().year + 3))
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Save card").click()
    expect(page.locator(".messages")).to_contain_text(f"•••• {number[-4:]} was saved")


def test_save_cards_then_top_up_through_the_confirmation_step_and_see_a_decline(page):
    customer = UserFactory(email="cardholder@example.com")
    page.goto("/accounts/signin/")
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header summary", has_text="Account")).to_be_visible()

    _save_card(page, "4000 0027 6000 3184")  # asks for the bank's confirmation
    expect(page.locator("main")).to_contain_text("Default")
    _save_card(page, "4000 0000 0000 0002")  # declined
    assert PaymentMethod.objects.filter(user=customer).count() == 2
    expect(page.locator("main")).not_to_contain_text("4000 0000")

    # Top up with the default card: the bank asks to confirm, then the wallet is credited.
    page.goto("/wallet/")
    page.get_by_label("Visa •••• 3184").check()
    page.get_by_label("Amount", exact=False).fill("40.00")
    page.get_by_role("button", name="Top up").click()
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page.locator("main")).to_contain_text("40.00")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("main")).to_contain_text("40.00 USD added to your wallet.")
    expect(page.locator("#wallet-balance")).to_contain_text("40.00")
    payment = Payment.objects.get(user=customer)
    assert payment.status == PaymentStatus.CAPTURED
    assert WalletEntry.objects.get(payment=payment).amount == Decimal("40.00")

    # The declined card: the reason, nothing charged, the balance as it was.
    page.get_by_label("Visa •••• 0002").check()
    page.get_by_label("Amount", exact=False).fill("10.00")
    page.get_by_role("button", name="Top up").click()
    expect(page.locator("#wallet-topup")).to_contain_text("Your card was declined. Nothing was charged.")
    expect(page.locator("#wallet-balance")).to_contain_text("40.00")
    assert WalletEntry.objects.filter(wallet__user=customer).count() == 1
