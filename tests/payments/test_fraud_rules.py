"""Each fraud rule trips alone, at its limit and not below; the score and the thresholds."""

from decimal import Decimal

import pytest

from payments.models import FraudCheck, FraudRules, FraudStatus, LogLevel, PaymentLog, PaymentMethodType, PaymentStatus
from payments.services.fraud import fraud_assess, fraud_rules
from tests.factories.accounts import UserFactory

from .fraud_helpers import CLIENT_IP, payment_made, rules_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules():
    return rules_set()


def assess(payment, *, ip=CLIENT_IP, billing="", shipping="", device="dev-1") -> FraudCheck:
    return fraud_assess(
        payment=payment, ip_address=ip, device_fingerprint=device, billing_country=billing, shipping_country=shipping
    )


def fired(check: FraudCheck) -> list[str]:
    return [rule["code"] for rule in check.rules]


# --- the rules row ----------------------------------------------------------------------------


def test_fraud_rules_is_one_row_created_with_the_model_defaults():
    assert not FraudRules.objects.exists()
    first = fraud_rules()
    assert fraud_rules().pk == first.pk
    assert FraudRules.objects.count() == 1
    assert first.review_threshold == Decimal("0.500") and first.block_threshold == Decimal("0.800")


# --- nothing suspicious -----------------------------------------------------------------------


def test_a_first_payment_with_matching_countries_is_cleared_with_score_zero(rules, user):
    check = assess(payment_made(user), billing="US", shipping="US")
    assert check.status == FraudStatus.CLEARED
    assert check.risk_score == Decimal("0.000")
    assert check.rules == []
    assert (check.ip_address, check.device_fingerprint, check.user_id) == (CLIENT_IP, "dev-1", user.pk)


# --- customer velocity ------------------------------------------------------------------------


def test_customer_velocity_trips_at_the_limit_of_earlier_card_payments_in_the_window(rules, user):
    for _ in range(rules.customer_velocity_limit):
        payment_made(user, client_ip=None, minutes_ago=10)
    check = assess(payment_made(user, client_ip=None), ip=None)
    assert fired(check) == ["customer_velocity"]
    assert check.customer_velocity == rules.customer_velocity_limit
    assert check.rules[0]["weight"] == "0.400"
    assert check.risk_score == Decimal("0.400")
    assert check.status == FraudStatus.CLEARED  # below the review threshold alone


def test_customer_velocity_does_not_trip_below_the_limit_outside_the_window_or_for_wallet_payments(rules, user):
    for _ in range(rules.customer_velocity_limit - 1):
        payment_made(user, client_ip=None, minutes_ago=10)
    payment_made(user, client_ip=None, minutes_ago=rules.velocity_window_minutes + 5)  # too old
    payment_made(user, client_ip=None, method=PaymentMethodType.WALLET)  # not a card
    payment_made(UserFactory(), client_ip=None)  # someone else's
    check = assess(payment_made(user, client_ip=None), ip=None)
    assert fired(check) == []
    assert check.customer_velocity == rules.customer_velocity_limit - 1


# --- client-address velocity ------------------------------------------------------------------


def test_address_velocity_trips_at_the_limit_of_payments_from_the_same_address(rules, user):
    for _ in range(rules.address_velocity_limit):
        payment_made(UserFactory(), client_ip=CLIENT_IP, minutes_ago=5)
    check = assess(payment_made(user))
    assert fired(check) == ["address_velocity"]
    assert check.address_velocity == rules.address_velocity_limit
    assert check.risk_score == Decimal("0.350")


def test_address_velocity_ignores_other_addresses_old_payments_and_an_unknown_address(rules, user):
    for _ in range(rules.address_velocity_limit - 1):
        payment_made(UserFactory(), client_ip=CLIENT_IP, minutes_ago=5)
    payment_made(UserFactory(), client_ip=CLIENT_IP, minutes_ago=rules.velocity_window_minutes + 1)
    payment_made(UserFactory(), client_ip="198.51.100.9")
    assert fired(assess(payment_made(user))) == []
    for _ in range(rules.address_velocity_limit):
        payment_made(UserFactory(), client_ip=None)
    unknown = assess(payment_made(user, client_ip=None), ip=None)
    assert fired(unknown) == [] and unknown.address_velocity == 0


def test_the_address_defaults_to_the_payments_own(rules, user):
    for _ in range(rules.address_velocity_limit):
        payment_made(UserFactory(), client_ip=CLIENT_IP)
    check = assess(payment_made(user, client_ip=CLIENT_IP), ip=None)
    assert fired(check) == ["address_velocity"] and check.ip_address == CLIENT_IP


# --- unusual amount ---------------------------------------------------------------------------


def test_unusual_amount_trips_above_the_multiple_of_the_customers_average_paid_payment(rules, user):
    payment_made(user, "10.00", status=PaymentStatus.CAPTURED, client_ip=None, minutes_ago=60 * 24 * 30)
    payment_made(user, "30.00", status=PaymentStatus.PARTIALLY_REFUNDED, client_ip=None, minutes_ago=60 * 24 * 30)
    payment_made(user, "900.00", status=PaymentStatus.FAILED, client_ip=None, minutes_ago=60 * 24 * 30)  # not paid
    # average paid 20.00, multiple 5: above 100.00 trips
    check = assess(payment_made(user, "100.01"), ip=None)
    assert fired(check) == ["unusual_amount"]
    assert check.risk_score == Decimal("0.300")
    assert "20.00" in check.rules[0]["figure"]


def test_unusual_amount_does_not_trip_at_the_multiple_or_without_an_earlier_paid_payment(rules, user, other_user):
    payment_made(user, "20.00", status=PaymentStatus.CAPTURED, client_ip=None, minutes_ago=600)
    assert fired(assess(payment_made(user, "100.00"), ip=None)) == []
    payment_made(other_user, "1.00", status=PaymentStatus.FAILED, client_ip=None, minutes_ago=600)
    assert fired(assess(payment_made(other_user, "9999.00"), ip=None)) == []  # nothing paid yet: no "usual"


# --- repeated declines ------------------------------------------------------------------------


def test_repeated_declines_trip_at_the_limit_of_failed_payments_in_the_window(rules, user):
    for _ in range(rules.declines_limit):
        payment_made(user, status=PaymentStatus.FAILED, client_ip=None, method=PaymentMethodType.WALLET)
    check = assess(payment_made(user), ip=None)
    assert fired(check) == ["repeated_declines"]
    assert check.risk_score == Decimal("0.450")


def test_repeated_declines_ignore_old_failures_and_other_customers(rules, user):
    for _ in range(rules.declines_limit - 1):
        payment_made(user, status=PaymentStatus.FAILED, client_ip=None, method=PaymentMethodType.WALLET)
    payment_made(
        user,
        status=PaymentStatus.FAILED,
        client_ip=None,
        method=PaymentMethodType.WALLET,
        minutes_ago=rules.velocity_window_minutes + 1,
    )
    payment_made(UserFactory(), status=PaymentStatus.FAILED, client_ip=None)
    assert fired(assess(payment_made(user), ip=None)) == []


# --- billing country / shipping country -------------------------------------------------------


def test_country_mismatch_trips_when_both_are_known_and_differ(rules, user):
    check = assess(payment_made(user), billing="us", shipping="DE")
    assert fired(check) == ["country_mismatch"]
    assert check.risk_score == Decimal("0.200")
    assert check.rules[0]["figure"] == "US / DE"


@pytest.mark.parametrize(("billing", "shipping"), [("US", "us"), ("", "DE"), ("US", ""), (None, None)])
def test_country_mismatch_does_not_trip_on_the_same_or_an_unknown_country(rules, user, billing, shipping):
    assert fired(assess(payment_made(user), billing=billing, shipping=shipping)) == []


# --- score and thresholds ---------------------------------------------------------------------


def _trip_velocity_and_mismatch(user, rules):
    for _ in range(rules.customer_velocity_limit):
        payment_made(user, client_ip=None, minutes_ago=1)
    return assess(payment_made(user, client_ip=None), ip=None, billing="US", shipping="DE")


def test_the_score_is_the_sum_of_the_fired_weights_and_at_the_review_threshold_the_payment_is_flagged(user):
    rules = rules_set(review_threshold=Decimal("0.600"))  # velocity 0.400 + mismatch 0.200
    check = _trip_velocity_and_mismatch(user, rules)
    assert sorted(fired(check)) == ["country_mismatch", "customer_velocity"]
    assert check.risk_score == Decimal("0.600")
    assert check.status == FraudStatus.FLAGGED


def test_just_below_the_review_threshold_the_payment_is_cleared(user):
    rules = rules_set(review_threshold=Decimal("0.601"), block_threshold=Decimal("0.900"))
    assert _trip_velocity_and_mismatch(user, rules).status == FraudStatus.CLEARED


def test_at_the_block_threshold_the_payment_is_blocked(user):
    rules = rules_set(review_threshold=Decimal("0.300"), block_threshold=Decimal("0.600"))
    assert _trip_velocity_and_mismatch(user, rules).status == FraudStatus.BLOCKED


def test_the_score_is_at_most_one(user):
    rules = rules_set(customer_velocity_weight=Decimal("0.900"), country_mismatch_weight=Decimal("0.900"))
    check = _trip_velocity_and_mismatch(user, rules)
    assert check.risk_score == Decimal("1.000") and check.status == FraudStatus.BLOCKED


def test_a_rule_with_weight_zero_is_switched_off(user):
    rules = rules_set(country_mismatch_weight=Decimal("0"))
    assert fired(_trip_velocity_and_mismatch(user, rules)) == ["customer_velocity"]


def test_every_rule_at_once(user):
    rules = rules_set(block_threshold=Decimal("1.000"))
    payment_made(user, "10.00", status=PaymentStatus.CAPTURED, client_ip=None, minutes_ago=60 * 24)
    for _ in range(rules.customer_velocity_limit):
        payment_made(user, status=PaymentStatus.FAILED, client_ip=None, minutes_ago=1)
    for _ in range(rules.address_velocity_limit):
        payment_made(UserFactory(), client_ip=CLIENT_IP)
    check = assess(payment_made(user, "500.00"), billing="US", shipping="FR")
    assert sorted(fired(check)) == sorted(
        ["customer_velocity", "address_velocity", "unusual_amount", "repeated_declines", "country_mismatch"]
    )
    assert check.risk_score == Decimal("1.000") and check.status == FraudStatus.BLOCKED


# --- recording --------------------------------------------------------------------------------


def test_a_payment_is_assessed_once(rules, user):
    payment = payment_made(user)
    first = assess(payment)
    for _ in range(rules.address_velocity_limit):
        payment_made(UserFactory(), client_ip=CLIENT_IP)
    again = assess(payment)
    assert again.pk == first.pk and again.status == FraudStatus.CLEARED
    assert FraudCheck.objects.filter(payment=payment).count() == 1


def test_the_verdict_is_logged_with_the_rules_for_staff(rules, user):
    check = assess(payment_made(user), billing="US", shipping="DE")
    log = PaymentLog.objects.get(payment=check.payment)
    assert log.source == "fraud_detection" and log.level == LogLevel.INFO
    assert log.details["rules"][0]["code"] == "country_mismatch"
    assert log.details["score"] == "0.200"
