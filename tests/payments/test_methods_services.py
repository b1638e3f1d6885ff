"""Saved payment methods: add (from a gateway token), remove, make default; one default at most."""

import datetime as dt

import pytest
from django.db import connection

from accounts.exceptions import FieldError
from payments.exceptions import (
    CardExpiredError,
    CardTokenInvalidError,
    CardTokenUsedError,
    PaymentMethodNotFoundError,
)
from payments.models import PaymentLog, PaymentMethod, PaymentMethodStatus
from payments.selectors import payment_method_of, payment_method_to_pay, payment_methods_of
from payments.services.methods import payment_method_add, payment_method_make_default, payment_method_remove

from .saved_cards import MASTERCARD, VISA, card_token, expired_card_token, saved_card

pytestmark = pytest.mark.django_db


def _defaults(user) -> list[int]:
    return list(PaymentMethod.objects.filter(user=user, is_default=True).values_list("pk", flat=True))


def _expire(method: PaymentMethod) -> None:
    PaymentMethod.objects.filter(pk=method.pk).update(exp_year=2001, exp_month=1)
    method.refresh_from_db()


# --- add --------------------------------------------------------------------------------------


def test_the_first_card_is_saved_with_what_the_gateway_says_and_becomes_the_default(user):
    token = card_token(VISA, exp_month=7)

    method = payment_method_add(
        user=user,
        token=token,
        billing={"billing_name": " Ada Lovelace ", "billing_country": "gb", "billing_postal_code": "N1 9GU"},
        ip_address="203.0.113.9",
        user_agent="Browser/1.0",
    )

    method.refresh_from_db()
    assert (method.brand, method.last4, method.exp_month) == ("Visa", "4242", 7)
    assert method.token == token and method.gateway.code == "sandbox"
    assert (method.billing_name, method.billing_country.code, method.billing_postal_code) == (
        "Ada Lovelace",
        "GB",
        "N1 9GU",
    )
    assert method.is_default and method.status == PaymentMethodStatus.ACTIVE
    assert str(method) == "Visa •••• 4242"
    log = PaymentLog.objects.get()
    assert (log.source, log.initiated_by, log.ip_address, log.user_agent) == (
        "payment_methods",
        user,
        "203.0.113.9",
        "Browser/1.0",
    )
    assert log.message == "Saved Visa •••• 4242"


def test_a_second_card_is_not_the_default_unless_asked(user):
    first = saved_card(user, VISA)
    second = saved_card(user, MASTERCARD)
    assert _defaults(user) == [first.pk]
    assert (second.brand, second.last4) == ("Mastercard", "4444")

    third = saved_card(user, VISA, make_default=True)
    assert _defaults(user) == [third.pk]


def test_a_new_card_replaces_an_expired_default(user):
    old = saved_card(user)
    _expire(old)
    new = saved_card(user, MASTERCARD)
    assert _defaults(user) == [new.pk]


def test_a_token_saves_one_card_once_whoever_sends_it_again(user, other_user):
    token = card_token()
    payment_method_add(user=user, token=token)

    for who in (user, other_user):
        with pytest.raises(CardTokenUsedError):
            payment_method_add(user=who, token=token)
    assert PaymentMethod.objects.count() == 1
    assert PaymentLog.objects.count() == 1


def test_a_removed_cards_token_cannot_be_saved_again(user):
    token = card_token()
    method = payment_method_add(user=user, token=token)
    payment_method_remove(user=user, method_id=method.pk)
    with pytest.raises(CardTokenUsedError):
        payment_method_add(user=user, token=token)


@pytest.mark.parametrize("token", ["", "   ", "tok_nonsense", "4242424242424242", "x" * 500, "tok_ok_visa_42_1299_ab"])
def test_a_token_the_gateway_does_not_know_is_refused(user, token):
    with pytest.raises(CardTokenInvalidError):
        payment_method_add(user=user, token=token)
    assert not PaymentMethod.objects.exists()


def test_an_expired_card_is_refused(user):
    with pytest.raises(CardExpiredError):
        payment_method_add(user=user, token=expired_card_token())
    assert not PaymentMethod.objects.exists()


def test_bad_billing_fields_are_field_errors(user):
    with pytest.raises(FieldError) as caught:
        payment_method_add(
            user=user, token=card_token(), billing={"billing_country": "XX", "billing_postal_code": "1" * 21}
        )
    assert set(caught.value.fields) == {"billing_country", "billing_postal_code"}
    assert not PaymentMethod.objects.exists()


def test_the_card_number_is_stored_nowhere(user):
    saved_card(user, VISA)
    with connection.cursor() as cursor:
        for table in ("payments_paymentmethod", "payments_paymentlog"):
            cursor.execute(f"SELECT * FROM {table}")
            text = repr(cursor.fetchall())
            assert VISA not in text and "4242 4242" not in text


# --- remove -----------------------------------------------------------------------------------


def test_removing_the_default_passes_it_to_the_newest_other_card_that_can_pay(user):
    oldest = saved_card(user, VISA)
    _expire(saved_card(user, MASTERCARD))
    middle = saved_card(user, VISA)
    _expire(saved_card(user, MASTERCARD))  # the newest, but expired: skipped

    successor = payment_method_remove(user=user, method_id=oldest.pk)

    assert successor == middle
    assert _defaults(user) == [middle.pk]
    oldest.refresh_from_db()
    assert (oldest.status, oldest.is_default) == (PaymentMethodStatus.INACTIVE, False)
    assert oldest not in payment_methods_of(user=user)


def test_removing_another_card_leaves_the_default(user):
    default = saved_card(user, VISA)
    other = saved_card(user, MASTERCARD)
    assert payment_method_remove(user=user, method_id=other.pk) is None
    assert _defaults(user) == [default.pk]


def test_removing_the_only_card_leaves_no_default(user):
    method = saved_card(user)
    assert payment_method_remove(user=user, method_id=method.pk) is None
    assert _defaults(user) == []
    assert list(payment_methods_of(user=user)) == []


def test_another_customers_card_cannot_be_removed_or_made_default(user, other_user):
    theirs = saved_card(other_user)
    saved_card(user)
    for service in (payment_method_remove, payment_method_make_default):
        with pytest.raises(PaymentMethodNotFoundError):
            service(user=user, method_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.status == PaymentMethodStatus.ACTIVE and theirs.is_default


def test_a_removed_card_is_not_found_again(user):
    method = saved_card(user)
    payment_method_remove(user=user, method_id=method.pk)
    with pytest.raises(PaymentMethodNotFoundError):
        payment_method_remove(user=user, method_id=method.pk)
    with pytest.raises(PaymentMethodNotFoundError):
        payment_method_make_default(user=user, method_id=method.pk)


# --- make default -----------------------------------------------------------------------------


def test_make_default_moves_the_default(user):
    first = saved_card(user, VISA)
    second = saved_card(user, MASTERCARD)

    assert payment_method_make_default(user=user, method_id=second.pk) == second
    assert _defaults(user) == [second.pk]
    assert payment_method_make_default(user=user, method_id=second.pk).is_default  # again: no change
    assert _defaults(user) == [second.pk]
    assert [m.pk for m in payment_methods_of(user=user)] == [second.pk, first.pk]


def test_an_expired_card_cannot_become_the_default(user):
    default = saved_card(user, VISA)
    old = saved_card(user, MASTERCARD)
    _expire(old)
    with pytest.raises(CardExpiredError):
        payment_method_make_default(user=user, method_id=old.pk)
    assert _defaults(user) == [default.pk]


# --- reads ------------------------------------------------------------------------------------


def test_an_expired_card_is_listed_as_expired_and_cannot_pay(user):
    method = saved_card(user)
    assert not method.is_expired
    assert payment_method_to_pay(user=user, method_id=method.pk) == method
    _expire(method)

    assert [m.is_expired for m in payment_methods_of(user=user)] == [True]
    with pytest.raises(CardExpiredError):
        payment_method_to_pay(user=user, method_id=method.pk)


def test_a_card_is_good_through_its_expiry_month(user):
    method = saved_card(user)
    method.exp_year, method.exp_month = 2030, 5
    assert not method.expired_on(dt.date(2030, 5, 31))
    assert method.expired_on(dt.date(2030, 6, 1))
    method.status = PaymentMethodStatus.EXPIRED
    assert method.expired_on(dt.date(2000, 1, 1))


@pytest.mark.parametrize("method_id", ["abc", None, "1.5", -1, 10**30, True])
def test_usable_refuses_what_is_not_an_id(user, method_id):
    saved_card(user)
    with pytest.raises(PaymentMethodNotFoundError):
        payment_method_to_pay(user=user, method_id=method_id)


def test_usable_and_of_refuse_another_customers_card(user, other_user):
    theirs = saved_card(other_user)
    with pytest.raises(PaymentMethodNotFoundError):
        payment_method_to_pay(user=user, method_id=theirs.pk)
    with pytest.raises(PaymentMethodNotFoundError):
        payment_method_of(user=user, method_id=theirs.pk)
