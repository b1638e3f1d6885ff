"""Refunds in the staff console: the "Refund…" action on payments asks for a reason and calls the
same service (cap, gateway) as the API; failed refunds can be retried; the refund page shows the
calls made to the processor."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from payments.gateways import GatewayError
from payments.gateways.sandbox import SandboxGateway
from payments.models import Refund, RefundStatus
from payments.services.refunds import refund_request
from tests.factories.accounts import CustomerFactory, UserFactory

from .helpers import order_for
from .refunds_helpers import card_payment, processor_refunded

pytestmark = pytest.mark.django_db

PAYMENTS = reverse("admin:payments_payment_changelist")
REFUNDS = reverse("admin:payments_refund_changelist")


@pytest.fixture
def payment():
    return card_payment(order_for(CustomerFactory().user, "30.00"))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _refund_action(client, payment, **form):
    data = {"action": "refund", ACTION_CHECKBOX_NAME: [payment.pk], **form}
    return client.post(PAYMENTS, data)


def test_the_refund_action_asks_for_amount_reason_and_destination(staff_client, payment):
    response = _refund_action(staff_client, payment)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reason"' in page and 'name="amount"' in page and 'name="destination"' in page
    assert "30.00 USD" in page  # what is left of the payment
    assert not Refund.objects.exists()


def test_the_refund_action_refunds_the_card(staff_client, superuser, payment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _refund_action(
            staff_client, payment, apply="1", amount="", reason="Lost in transit", destination="original"
        )

    assert response.status_code == 302
    made = Refund.objects.get()
    assert (made.amount, made.status, made.processed_by, made.reason) == (
        Decimal("30.00"),
        RefundStatus.COMPLETED,
        superuser,
        "Lost in transit",
    )
    assert processor_refunded(payment) == Decimal("30.00")


def test_a_reason_is_required(staff_client, payment):
    response = _refund_action(staff_client, payment, apply="1", amount="5.00", reason="  ", destination="original")
    assert response.status_code == 200
    assert "Say why the money is given back." in response.content.decode()
    assert not Refund.objects.exists()


def test_more_than_is_left_is_refused_with_a_message(staff_client, payment):
    response = _refund_action(staff_client, payment, apply="1", amount="30.01", reason="x", destination="wallet")
    assert response.status_code == 302
    assert any("At most 30.00" in m for m in _messages(response))
    assert not Refund.objects.exists()


def test_a_failed_refund_is_retried_from_the_refund_list(
    staff_client, payment, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(SandboxGateway, "refund", lambda self, **kw: (_ for _ in ()).throw(GatewayError("offline")))
    with django_capture_on_commit_callbacks(execute=True):
        made = refund_request(payment_id=payment.pk, amount="12.00", reason="r", actor=None).refund
    made.refresh_from_db()
    assert made.status == RefundStatus.FAILED
    page = staff_client.get(reverse("admin:payments_refund_change", args=[made.pk])).content.decode()
    assert "offline" in page and "gateway_error" in page  # the refusal and its call

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(REFUNDS, {"action": "retry", ACTION_CHECKBOX_NAME: [made.pk]})

    assert response.status_code == 302
    assert "1 refund sent again." in _messages(response)
    made.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert processor_refunded(payment) == Decimal("12.00")


def test_staff_who_may_not_refund_do_not_get_the_actions(client, payment):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_payment", "view_refund"]))
    client.force_login(clerk)

    assert b'value="refund"' not in client.get(PAYMENTS).content
    assert b'value="retry"' not in client.get(REFUNDS).content
    _refund_action(client, payment, apply="1", amount="5.00", reason="x", destination="original")
    assert not Refund.objects.exists()
