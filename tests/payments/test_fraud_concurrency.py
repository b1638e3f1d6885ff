"""Two staff members deciding the same flagged payment at once: exactly one decision holds."""

from collections import Counter
from decimal import Decimal

import pytest

from payments import tasks
from payments.models import FraudStatus, PaymentPurpose, PaymentStatus
from payments.services.fraud import fraud_assess, fraud_review_block, fraud_review_clear
from payments.signals import payment_failed
from tests.factories.accounts import UserFactory

from .fraud_helpers import payment_made, rules_set
from .helpers import order_for, run_concurrently

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_clear_and_block_racing_on_one_check_leave_one_decision(monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(tasks.fraud_cleared_payment_run_task, "delay", queued.append)
    failed: list[int] = []

    def on_failed(sender, payment, **kwargs):
        failed.append(payment.pk)

    payment_failed.connect(on_failed)
    try:
        rules_set(review_threshold=Decimal("0.200"))
        customer, staff = UserFactory(), UserFactory(is_staff=True)
        payment = payment_made(customer, "30.00", status=PaymentStatus.REVIEW)
        payment.purpose, payment.order = PaymentPurpose.ORDER, order_for(customer, "30.00")
        payment.save(update_fields=["purpose", "order"])
        check = fraud_assess(
            payment=payment, ip_address=None, device_fingerprint="", billing_country="US", shipping_country="DE"
        )
        assert check.status == FraudStatus.FLAGGED
        calls = [
            lambda: fraud_review_clear(check_id=check.pk, reviewer=staff, note="ok"),
            lambda: fraud_review_block(check_id=check.pk, reviewer=staff, note="no"),
        ] * 4
        results = run_concurrently(calls, workers=8)
    finally:
        payment_failed.disconnect(on_failed)

    outcomes = Counter(type(value).__name__ if kind == "error" else kind for kind, value in results)
    assert outcomes == {"ok": 1, "FraudReviewNotPendingError": 7}
    check.refresh_from_db()
    payment.refresh_from_db()
    if check.status == FraudStatus.CLEARED:
        assert payment.status == PaymentStatus.PENDING and queued == [payment.pk] and failed == []
    else:
        assert check.status == FraudStatus.BLOCKED
        assert payment.status == PaymentStatus.FAILED and queued == [] and failed == [payment.pk]
