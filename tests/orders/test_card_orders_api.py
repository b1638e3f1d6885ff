"""The API of card orders: POST orders/ with `payment_method`."""

import pytest
from django.urls import reverse

from inventory.models import InventoryItem
from orders.models import Order
from payments.models import Payment
from tests.payments.cards import NO_FUNDS, THREE_DS, saved_card

from .card_helpers import place_by_card
from .conftest import place

pytestmark = pytest.mark.django_db


def test_an_order_by_card_is_placed_pending(api, variant):
    response = api.post(
        reverse("orders_api:order-list"),
        {"items": [{"variant_id": variant.pk, "quantity": 2}], "payment_method": "card"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["paid_at"]) == ("pending", None)
    assert InventoryItem.objects.get(variant=variant).available_quantity == 8


def test_without_a_payment_method_the_wallet_pays_as_before(api, variant):
    response = api.post(
        reverse("orders_api:order-list"), {"items": [{"variant_id": variant.pk, "quantity": 1}]}, format="json"
    )

    assert response.status_code == 201 and response.json()["status"] == "paid"


@pytest.mark.parametrize("bad", ["cheque", "", None, 1, ["card"]])
def test_an_unknown_payment_method_is_a_field_error(api, variant, bad):
    response = api.post(
        reverse("orders_api:order-list"),
        {"items": [{"variant_id": variant.pk, "quantity": 1}], "payment_method": bad},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and "payment_method" in body["fields"]
    assert not Order.objects.exists()


# --- POST orders/{id}/pay/ -----------------------------------------------------------------------


def pay_url(order) -> str:
    return reverse("orders_api:order-pay", args=[order.pk])


def test_paying_answers_201_with_the_captured_payment(api, customer, variant):
    order = place_by_card(customer, variant, 2)
    card = saved_card(customer)

    response = api.post(pay_url(order), {"payment_method_id": card.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["amount"], body["order_number"]) == (
        "captured",
        str(order.total_amount),
        order.order_number,
    )
    assert body["payment_method"] == {"brand": card.brand, "last4": card.last4}
    assert [t["transaction_type"] for t in body["transactions"]] == ["authorization", "capture"]
    assert api.get(reverse("orders_api:order-detail", args=[order.pk])).json()["status"] == "paid"

    again = api.post(pay_url(order), {"payment_method_id": card.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    reused = api.post(
        pay_url(order), {"payment_method_id": saved_card(customer).pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    paid_again = api.post(pay_url(order), {"payment_method_id": card.pk}, format="json")
    assert paid_again.status_code == 409 and paid_again.json()["code"] == "order_not_awaiting_payment"


def test_the_confirmation_step_is_in_the_answer(api, customer, variant):
    order = place_by_card(customer, variant)

    response = api.post(pay_url(order), {"payment_method_id": saved_card(customer, THREE_DS).pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "action_required" and body["action_url"]
    # Paying again while it waits answers with the same payment, charges nothing more.
    again = api.post(pay_url(order), {"payment_method_id": saved_card(customer).pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_a_decline_is_a_402_with_the_reason(api, customer, variant):
    order = place_by_card(customer, variant)

    response = api.post(pay_url(order), {"payment_method_id": saved_card(customer, NO_FUNDS).pk}, format="json")

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "insufficient_funds" and "insufficient funds" in body["message"].lower()
    assert api.get(reverse("orders_api:order-detail", args=[order.pk])).json()["status"] == "pending"


def test_another_customers_order_or_card_is_404_and_an_expired_card_400(api, customer, other_customer, variant):
    theirs = place_by_card(other_customer, variant)
    mine = place_by_card(customer, variant)

    assert api.post(pay_url(theirs), {"payment_method_id": saved_card(customer).pk}, format="json").status_code == 404
    foreign = api.post(pay_url(mine), {"payment_method_id": saved_card(other_customer).pk}, format="json")
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    expired = api.post(pay_url(mine), {"payment_method_id": saved_card(customer, exp_year=2020).pk}, format="json")
    assert expired.status_code == 400 and expired.json()["code"] == "card_expired"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"payment_method_id": "1"}, {"payment_method_id": 0}, {"payment_method_id": 1, "amount": "0.01"}]
)
def test_a_bad_pay_body_is_a_400(api, customer, variant, body):
    order = place_by_card(customer, variant)

    response = api.post(pay_url(order), body, format="json")

    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert not Payment.objects.exists()


def test_a_wallet_order_is_not_waiting_for_a_payment(api, customer, variant):
    order = place(customer, variant)

    response = api.post(pay_url(order), {"payment_method_id": saved_card(customer).pk}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "order_not_awaiting_payment"


def test_paying_needs_sign_in(anonymous_api, customer, variant):
    order = place_by_card(customer, variant)

    assert anonymous_api.post(pay_url(order), {"payment_method_id": 1}, format="json").status_code == 401
