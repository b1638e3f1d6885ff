"""The pages of card orders: the checkout's choice of how to pay, a pending order's page, and the
page that waits for a payment's confirmation."""

import datetime as dt
import uuid
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from carts.services import cart_add_item
from inventory.models import InventoryItem, StockReservation
from orders.models import Order, OrderState
from orders.services import orders_release_expired
from payments.models import Payment, PaymentStatus, Wallet
from tests.payments.cards import DECLINED, NO_FUNDS, THREE_DS, saved_card

from .card_helpers import charge, place_by_card
from .test_views import assert_strict_csp_markup, messages_of

pytestmark = pytest.mark.django_db


def checkout_form(customer, **overrides):
    data = {
        "idempotency_key": uuid.uuid4().hex,
        "shipping_address_id": customer.addresses.get(is_primary=True).pk,
        "next": reverse("orders:checkout"),
    }
    data.update(overrides)
    return data


def test_the_checkout_page_offers_the_wallet_or_a_card(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    html = shopper.get(reverse("orders:checkout")).content.decode()

    assert 'name="pay_with" value="wallet" checked' in html
    assert 'name="pay_with" value="card"' in html
    assert "How would you like to pay?" in html
    assert_strict_csp_markup(html)


def test_checkout_by_card_places_a_pending_order_and_shows_where_to_pay(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)

    response = shopper.post(reverse("orders:checkout"), checkout_form(customer, pay_with="card"))

    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.status_id == OrderState.PENDING
    assert InventoryItem.objects.get(variant=variant).available_quantity == 8
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00")
    assert any(order.order_number in m and "waits for your payment" in m for m in messages_of(response))

    html = shopper.get(response["Location"]).content.decode()
    assert "Pay for this order" in html and "Pending payment" in html
    held_until = StockReservation.objects.get(order=order).expires_at
    assert held_until.isoformat() in html or held_until.strftime("%Y-%m-%dT%H:%M:%S") in html
    assert_strict_csp_markup(html)


@pytest.mark.parametrize("bad", ["cheque", "card:", "card:abc", "card:-1", "card:99999999999999999999"])
def test_checkout_with_a_bad_choice_goes_back_with_the_reason(shopper, customer, variant, bad):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    response = shopper.post(reverse("orders:checkout"), checkout_form(customer, pay_with=bad))

    assert response.status_code == 302 and response["Location"] == reverse("orders:checkout")
    assert "Pay with: Choose how to pay: your wallet or a card." in messages_of(response)
    assert not Order.objects.exists()


def test_a_paid_wallet_order_has_nothing_to_pay(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    response = shopper.post(reverse("orders:checkout"), checkout_form(customer))

    html = shopper.get(response["Location"]).content.decode()
    assert "Pay for this order" not in html


def test_a_pending_order_past_its_time_says_so(shopper, customer, variant):
    order = place_by_card(customer, variant)
    StockReservation.objects.filter(order=order).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    html = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert "The time to pay for this order is over" in html


def test_a_declined_payment_shows_its_reason_on_the_order_page(shopper, customer, variant):
    order = place_by_card(customer, variant)
    charge(order, NO_FUNDS)

    html = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert "Your last payment did not go through: Your card has insufficient funds. Nothing was charged." in html


# --- the page that waits for the confirmation ----------------------------------------------------


def test_the_return_page_waits_while_the_payment_is_confirmed(shopper, customer, variant):
    order = place_by_card(customer, variant)
    waiting = charge(order, THREE_DS)

    response = shopper.get(reverse("orders:payment_return", args=[order.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Confirming your payment…" in html
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert 'hx-trigger="every 2s"' in html
    assert f'href="{waiting.action_url}"' in html and waiting.action_url
    assert_strict_csp_markup(html)

    polled = shopper.get(reverse("orders:payment_return", args=[order.pk]), HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and 'id="payment-wait"' in polled.content.decode()


def test_the_return_page_goes_to_the_order_once_it_is_paid(shopper, customer, variant):
    order = place_by_card(customer, variant)
    charge(order)
    detail = reverse("orders:detail", args=[order.pk])

    polled = shopper.get(reverse("orders:payment_return", args=[order.pk]), HTTP_HX_REQUEST="true")
    assert polled["HX-Redirect"] == detail

    response = shopper.get(reverse("orders:payment_return", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == detail
    assert any("is paid" in m for m in messages_of(response))


def test_the_return_page_says_why_a_payment_failed(shopper, customer, variant):
    order = place_by_card(customer, variant)
    charge(order, DECLINED)

    response = shopper.get(reverse("orders:payment_return", args=[order.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert "Your card was declined. Nothing was charged: you can pay with another card." in messages_of(response)


def test_the_return_page_of_a_released_order_says_it_ran_out_of_time(shopper, customer, variant):
    order = place_by_card(customer, variant)
    orders_release_expired(now=timezone.now() + dt.timedelta(hours=1))

    response = shopper.get(reverse("orders:payment_return", args=[order.pk]))

    assert response.status_code == 302
    assert any("ran out, so it is cancelled. Nothing was charged." in m for m in messages_of(response))


def test_another_customers_payment_pages_are_404(shopper, other_customer, variant):
    theirs = place_by_card(other_customer, variant)

    assert shopper.get(reverse("orders:payment_return", args=[theirs.pk])).status_code == 404
    assert shopper.get(reverse("orders:detail", args=[theirs.pk])).status_code == 404


def test_the_return_page_needs_sign_in(client, customer, variant):
    order = place_by_card(customer, variant)

    response = client.get(reverse("orders:payment_return", args=[order.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- paying from the order's page and from the checkout -------------------------------------------


def pay_form(card, **overrides):
    return {"payment_method_id": str(card.pk), "idempotency_key": uuid.uuid4().hex, **overrides}


def test_a_pending_orders_page_offers_the_saved_cards(shopper, customer, variant):
    order = place_by_card(customer, variant)
    card = saved_card(customer, is_default=True)
    expired = saved_card(customer, exp_year=2020)

    html = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert f'action="{reverse("orders:pay", args=[order.pk])}"' in html
    assert f'value="{card.pk}" checked' in html
    assert f'value="{expired.pk}" disabled' in html and "cannot pay (expired)" in html
    assert f"{card.brand} •••• {card.last4}" in html
    # Saving another card goes through the payment methods pages and comes back to this order.
    add_card = f"{reverse('payments:method_new')}?{urlencode({'next': reverse('orders:detail', args=[order.pk])})}"
    assert f'href="{add_card}"' in html and "Add a card" in html
    assert_strict_csp_markup(html)


def test_paying_from_the_order_page_pays_it(shopper, customer, variant):
    order = place_by_card(customer, variant, 2)

    response = shopper.post(reverse("orders:pay", args=[order.pk]), pay_form(saved_card(customer)))

    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert any("is paid" in m for m in messages_of(response))
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID
    html = shopper.get(response["Location"]).content.decode()
    assert "Pay for this order" not in html


def test_the_banks_confirmation_step_is_where_the_pay_button_leads(shopper, customer, variant):
    order = place_by_card(customer, variant)

    response = shopper.post(reverse("orders:pay", args=[order.pk]), pay_form(saved_card(customer, THREE_DS)))

    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.ACTION_REQUIRED
    assert response.status_code == 302 and response["Location"] == payment.action_url
    html = shopper.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Your bank asks you to confirm this payment." in html
    assert f'action="{reverse("orders:pay", args=[order.pk])}"' not in html  # nothing to pay twice


def test_a_declined_card_on_the_order_page_says_why(shopper, customer, variant):
    order = place_by_card(customer, variant)

    response = shopper.post(reverse("orders:pay", args=[order.pk]), pay_form(saved_card(customer, DECLINED)))

    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert "Your card was declined. Nothing was charged: you can pay with another card." in messages_of(response)
    order.refresh_from_db()
    assert order.status_id == OrderState.PENDING


@pytest.mark.parametrize("overrides", [{"payment_method_id": ""}, {"payment_method_id": "x"}, {"idempotency_key": ""}])
def test_a_bad_pay_form_goes_back_with_the_reason(shopper, customer, variant, overrides):
    order = place_by_card(customer, variant)

    response = shopper.post(reverse("orders:pay", args=[order.pk]), pay_form(saved_card(customer), **overrides))

    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert messages_of(response)
    assert not Payment.objects.exists()


def test_another_customers_order_cannot_be_paid_from_a_page(shopper, customer, other_customer, variant):
    theirs = place_by_card(other_customer, variant)

    response = shopper.post(reverse("orders:pay", args=[theirs.pk]), pay_form(saved_card(customer)))

    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_another_customers_card_cannot_pay_from_a_page(shopper, customer, other_customer, variant):
    mine = place_by_card(customer, variant)

    response = shopper.post(reverse("orders:pay", args=[mine.pk]), pay_form(saved_card(other_customer)))

    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[mine.pk])
    assert "That payment method was not found." in messages_of(response)
    assert not Payment.objects.exists()


def test_the_checkout_offers_saved_cards_and_pays_with_one_at_once(shopper, customer, variant):
    card = saved_card(customer)
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    assert f'value="card:{card.pk}"' in shopper.get(reverse("orders:checkout")).content.decode()

    response = shopper.post(reverse("orders:checkout"), checkout_form(customer, pay_with=f"card:{card.pk}"))

    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert order.status_id == OrderState.PAID
    assert Payment.objects.get(order=order).payment_method_id == card.pk
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00")  # the card paid
