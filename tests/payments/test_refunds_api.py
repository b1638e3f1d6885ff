"""`/api/v1/refunds/`: customers see their own refunds only (another's is a 404), staff see all and
give money back through the same service and cap as everything else."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from payments.models import Payment, PaymentPurpose, PaymentStatus, Refund, RefundStatus
from payments.services import wallet_charge
from payments.services.refunds import refund_request
from tests.factories.accounts import CustomerFactory, UserFactory

from .helpers import balance_of, order_for
from .refunds_helpers import card_payment, processor_refunded

pytestmark = pytest.mark.django_db

URL = "/api/v1/refunds/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def customer():
    user = CustomerFactory().user
    wallet_charge(user=user, amount="10.00")
    return user


@pytest.fixture
def payment(customer):
    return card_payment(order_for(customer, "40.00"))


@pytest.fixture
def staff(superuser):
    return client_for(superuser)


def refund_of(payment, amount="5.00", **kwargs):
    return refund_request(payment_id=payment.pk, amount=amount, reason="r", actor=None, **kwargs).refund


# --- reading --------------------------------------------------------------------------------------


def test_a_customer_sees_only_their_own_refunds(customer, payment):
    mine = refund_of(payment)
    other = CustomerFactory().user
    theirs = refund_of(card_payment(order_for(other, "9.00")))

    response = client_for(customer).get(URL)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [mine.pk]
    body = response.json()["results"][0]
    assert body["payment_id"] == payment.pk and body["order_number"] == payment.order.order_number
    assert (body["amount"], body["status"], body["destination"]) == ("5.00", "pending", "original")
    assert client_for(customer).get(f"{URL}{theirs.pk}/").status_code == 404
    assert client_for(other).get(f"{URL}{mine.pk}/").status_code == 404


def test_the_list_costs_the_same_queries_for_one_refund_or_many(customer, payment):
    refund_of(payment)
    client = client_for(customer)
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for _ in range(4):
        refund_of(payment)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(URL).json()["results"]) == 5
    assert len(five) == len(one)


def test_one_refund_shows_the_calls_made_to_the_processor(customer, payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = refund_of(payment, "40.00")

    body = client_for(customer).get(f"{URL}{made.pk}/").json()

    assert body["status"] == "completed"
    [call] = body["transactions"]
    assert (call["status"], call["amount"]) == ("success", "40.00")
    assert call["transaction_id"].startswith("re_")


def test_staff_see_every_refund(customer, payment, staff):
    refund_of(payment)
    refund_of(card_payment(order_for(CustomerFactory().user, "9.00")))
    assert staff.get(URL).json()["count"] == 2


def test_signed_out_is_a_401():
    assert APIClient().get(URL).status_code == 401


# --- giving money back --------------------------------------------------------------------------


def test_staff_refund_a_card_payment(payment, staff, superuser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(URL, {"payment_id": payment.pk, "amount": "15.00", "reason": "Scratched"}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["destination"]) == ("pending", "original")
    made = Refund.objects.get(pk=response.json()["id"])
    assert (made.status, made.processed_by, made.reason) == (RefundStatus.COMPLETED, superuser, "Scratched")
    assert processor_refunded(payment) == Decimal("15.00")


def test_store_credit_from_the_api(customer, payment, staff):
    body = {"payment_id": payment.pk, "amount": "12.50", "reason": "Goodwill", "destination": "wallet"}
    response = staff.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "completed"
    assert balance_of(customer) == Decimal("22.50")


def test_the_same_idempotency_key_refunds_once(payment, staff):
    body = {"payment_id": payment.pk, "amount": "10.00", "reason": "r"}
    first = staff.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-abc")
    again = staff.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-abc")
    other = staff.post(URL, {**body, "amount": "11.00"}, format="json", HTTP_IDEMPOTENCY_KEY="refund-abc")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert other.json()["code"] == "idempotency_key_reused"
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("10.00") and Refund.objects.count() == 1


def test_more_than_is_left_is_a_400_that_says_how_much_is_left(payment, staff):
    refund_of(payment, "30.00")
    response = staff.post(URL, {"payment_id": payment.pk, "amount": "10.01", "reason": "r"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"]["amount"] == ["At most 10.00 can still be given back from this payment."]
    assert Refund.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"reason": ""}, "reason"),
        ({"destination": "card"}, "destination"),
        ({"payment_id": "1"}, "payment_id"),
        ({"payment_id": 999999999}, "payment_id"),
        ({"status": "completed"}, "status"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(payment, staff, body, field):
    response = staff.post(URL, {"payment_id": payment.pk, "amount": "5.00", "reason": "r", **body}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not Refund.objects.exists()


def test_a_top_up_payment_is_a_409(customer, staff):
    topup = Payment.objects.create(
        user=customer, purpose=PaymentPurpose.WALLET_TOPUP, amount=Decimal("5.00"), status=PaymentStatus.CAPTURED
    )
    response = staff.post(URL, {"payment_id": topup.pk, "amount": "5.00", "reason": "r"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "refund_not_allowed")


def test_customers_and_staff_without_the_permission_cannot_refund(customer, payment):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_refund"))
    body = {"payment_id": payment.pk, "amount": "5.00", "reason": "r"}

    for user in (customer, clerk):
        response = client_for(user).post(URL, body, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not Refund.objects.exists()
    assert client_for(clerk).get(URL).status_code == 200  # but a clerk who may view sees them
