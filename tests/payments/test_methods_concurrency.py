"""Threads racing on one customer's saved cards against PostgreSQL: at most one default, always,
and no request fails because another ran at the same moment."""

from collections import Counter

import pytest

from payments.exceptions import CardTokenUsedError
from payments.models import PaymentMethod
from payments.services.methods import payment_method_add, payment_method_make_default, payment_method_remove
from tests.factories.accounts import UserFactory

from .helpers import run_concurrently
from .saved_cards import MASTERCARD, VISA, card_token, saved_card

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _outcomes(results) -> Counter:
    return Counter(type(value).__name__ if kind == "error" else kind for kind, value in results)


def _defaults(user) -> list[int]:
    return list(PaymentMethod.objects.filter(user=user, is_default=True, status="active").values_list("pk", flat=True))


def test_make_default_racing_on_every_card_leaves_exactly_one_default():
    user = UserFactory()
    cards = [saved_card(user, VISA if i % 2 else MASTERCARD) for i in range(6)]
    calls = [lambda pk=card.pk: payment_method_make_default(user=user, method_id=pk) for card in cards * 4]

    results = run_concurrently(calls, workers=12)

    assert _outcomes(results) == Counter({"ok": len(calls)})
    assert len(_defaults(user)) == 1


def test_the_first_cards_added_at_once_make_one_default():
    user = UserFactory()
    tokens = [card_token(VISA) for _ in range(8)]
    calls = [lambda t=token: payment_method_add(user=user, token=t) for token in tokens]

    results = run_concurrently(calls, workers=8)

    assert _outcomes(results) == Counter({"ok": 8})
    assert PaymentMethod.objects.filter(user=user).count() == 8
    assert len(_defaults(user)) == 1


def test_adds_removes_and_defaults_mixed_keep_one_default_among_active_cards():
    user = UserFactory()
    cards = [saved_card(user) for _ in range(4)]
    calls = []
    for i in range(16):
        if i % 4 == 0:
            token = card_token(MASTERCARD)
            calls.append(lambda t=token: payment_method_add(user=user, token=t, make_default=True))
        elif i % 4 == 1 and cards:
            pk = cards.pop().pk
            calls.append(lambda pk=pk: payment_method_remove(user=user, method_id=pk))
        else:
            pk = PaymentMethod.objects.filter(user=user).order_by("?").values_list("pk", flat=True).first()
            calls.append(lambda pk=pk: payment_method_make_default(user=user, method_id=pk))

    results = run_concurrently(calls, workers=8)

    # A make-default may find its card removed a moment before (a 404 to that customer), nothing else.
    assert set(_outcomes(results)) <= {"ok", "PaymentMethodNotFoundError"}
    assert len(_defaults(user)) == 1


def test_one_token_sent_by_two_customers_at_once_is_saved_once():
    token = card_token()
    users = [UserFactory() for _ in range(6)]
    calls = [lambda u=u: payment_method_add(user=u, token=token) for u in users]

    results = run_concurrently(calls, workers=6)

    outcomes = _outcomes(results)
    assert outcomes == Counter({"ok": 1, CardTokenUsedError.__name__: 5})
    assert PaymentMethod.objects.filter(token=token).count() == 1
