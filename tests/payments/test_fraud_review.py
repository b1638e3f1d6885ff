"""Staff review of a flagged payment: clear resumes it, block fails it with the neutral message."""

from decimal import Decimal

import pytest

from common.exceptions import NotFoundError
from payments.models import FraudCheck, FraudStatus, PaymentLog, PaymentPurpose, PaymentStatus
from payments.services.fraud import (
    BLOCKED_MESSAGE,
    RULE_LABELS,
    FraudReviewNotPendingError,
    fraud_assess,
    fraud_review_block,
    fraud_review_clear,
)
from payments.signals import payment_failed

from .fraud_helpers import payment_made, rules_set
from .helpers import order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(user):
    """A payment held in review: the country rule alone reaches the review threshold."""
    rules_set(review_threshold=Decimal("0.200"))
    payment = payment_made(user, status=PaymentStatus.REVIEW)
    check = fraud_assess(
        payment=payment, ip_address=None, device_fingerprint="", billing_country="US", shipping_country="DE"
    )
    assert check.status == FraudStatus.FLAGGED
    return check


@pytest.fixture
def failed_signals():
    sent = []

    def receiver(sender, payment, **kwargs):
        sent.append((payment.pk, payment.status))

    payment_failed.connect(receiver)
    yield sent
    payment_failed.disconnect(receiver)


def test_clear_resumes_the_payment_and_queues_its_authorization(flagged, superuser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        check = fraud_review_clear(check_id=flagged.pk, reviewer=superuser, note="  Known customer, called them. ")
    check.refresh_from_db()
    assert check.status == FraudStatus.CLEARED
    assert check.reviewed_by == superuser and check.reviewed_at is not None
    assert check.review_note == "Known customer, called them."
    payment = check.payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert len(callbacks) == 1  # the authorization task, after commit
    log = PaymentLog.objects.filter(payment=payment, source="fraud_detection").first()
    assert log.message == "Fraud review: cleared by staff" and log.initiated_by == superuser


def test_block_fails_the_payment_with_the_neutral_message_and_says_so_once(flagged, superuser, failed_signals):
    fraud_review_block(check_id=flagged.pk, reviewer=superuser, note="Stolen card reported")
    flagged.refresh_from_db()
    payment = flagged.payment
    payment.refresh_from_db()
    assert flagged.status == FraudStatus.BLOCKED and flagged.reviewed_by == superuser
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "We could not process this payment."
    assert failed_signals == [(payment.pk, PaymentStatus.FAILED)]


def test_the_neutral_message_never_names_a_rule(flagged, superuser):
    fraud_review_block(check_id=flagged.pk, reviewer=superuser, note="country")
    payment = flagged.payment
    payment.refresh_from_db()
    customer_sees = f"{payment.failure_code} {payment.failure_message} {BLOCKED_MESSAGE}".lower()
    for code, label in RULE_LABELS.items():
        assert code not in customer_sees and str(label).lower() not in customer_sees
    for word in ("fraud", "country", "velocity", "decline", "amount", "address", "score", "rule"):
        assert word not in customer_sees


@pytest.mark.parametrize("review", [fraud_review_clear, fraud_review_block])
@pytest.mark.parametrize("decided", [FraudStatus.CLEARED, FraudStatus.BLOCKED, FraudStatus.PENDING])
def test_only_a_flagged_check_can_be_reviewed(flagged, superuser, review, decided):
    FraudCheck.objects.filter(pk=flagged.pk).update(status=decided)
    with pytest.raises(FraudReviewNotPendingError):
        review(check_id=flagged.pk, reviewer=superuser, note="again")
    flagged.refresh_from_db()
    assert flagged.status == decided and flagged.reviewed_by is None
    assert flagged.payment.status == PaymentStatus.REVIEW


def test_a_second_review_is_refused(flagged, superuser, failed_signals):
    fraud_review_block(check_id=flagged.pk, reviewer=superuser, note="first")
    with pytest.raises(FraudReviewNotPendingError):
        fraud_review_clear(check_id=flagged.pk, reviewer=superuser, note="second")
    flagged.payment.refresh_from_db()
    assert flagged.payment.status == PaymentStatus.FAILED and len(failed_signals) == 1


def test_an_unknown_check_is_not_found(superuser):
    with pytest.raises(NotFoundError):
        fraud_review_clear(check_id=987654, reviewer=superuser, note="x")


def test_an_order_payment_is_reviewed_under_its_order_row(user, superuser, failed_signals):
    rules_set(review_threshold=Decimal("0.200"))
    order = order_for(user, "25.00")
    payment = payment_made(user, "25.00", status=PaymentStatus.REVIEW)
    payment.purpose, payment.order = PaymentPurpose.ORDER, order
    payment.save(update_fields=["purpose", "order"])
    check = fraud_assess(
        payment=payment, ip_address=None, device_fingerprint="", billing_country="US", shipping_country="GB"
    )
    fraud_review_block(check_id=check.pk, reviewer=superuser, note="no")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and failed_signals == [(payment.pk, PaymentStatus.FAILED)]
