"""The order status lookup agrees with the transition table written in code."""

import importlib

import pytest

from orders.models import TRANSITIONS, OrderState, OrderStatus
from orders.reference_data import STATUSES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", list(OrderState), ids=lambda s: s.value)
def test_a_status_is_final_exactly_when_no_next_state_is_allowed(state):
    row = OrderStatus.objects.get(code=state.value)
    assert row.is_final_state == (not TRANSITIONS[state]), f"{state}: next states {sorted(TRANSITIONS[state])}"


def test_the_seed_rows_name_every_state_once_and_agree_with_the_table():
    assert sorted(code for code, *_ in STATUSES) == sorted(OrderState.values)
    assert {code: final for code, _name, _group, _order, final in STATUSES} == {
        state.value: not TRANSITIONS[state] for state in OrderState
    }


def test_delivered_can_still_be_refunded_so_it_is_not_final():
    assert OrderState.REFUNDED in TRANSITIONS[OrderState.DELIVERED]
    assert OrderStatus.objects.get(code=OrderState.DELIVERED).is_final_state is False


def test_migration_0005_mends_a_database_seeded_when_delivered_was_final():
    from django.apps import apps

    migration = importlib.import_module("orders.migrations.0005_delivered_is_not_final")
    OrderStatus.objects.filter(code=OrderState.DELIVERED).update(is_final_state=True)

    migration.delivered_not_final(apps, None)

    assert OrderStatus.objects.get(code=OrderState.DELIVERED).is_final_state is False
    assert OrderStatus.objects.filter(is_final_state=True).count() == 2  # cancelled, refunded
