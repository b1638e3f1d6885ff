"""Two workers running the abandoned-cart task at the same moment (threads, each with its own
PostgreSQL connection): each cart is recorded once, snapshotted once and e-mailed once."""

import pytest

from carts.abandonment import carts_abandoned_detect
from carts.models import AbandonedCart, CartSnapshot, SnapshotType
from carts.services import cart_add_item
from common.models import Notification
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.orders.test_concurrency import errors_of, race

from .abandoned_helpers import earlier, idle

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_two_workers_at_once_record_snapshot_and_email_each_cart_once():
    variant = VariantFactory(stock=50)
    carts = [idle(cart_add_item(user=funded_user(), variant_id=variant.pk, quantity=1).cart, 120) for _ in range(3)]

    outcomes = race([carts_abandoned_detect] * 2, workers=2)

    assert errors_of(outcomes) == []
    assert sum(o["abandoned"] for o in outcomes) == 3
    assert sum(o["emails"] for o in outcomes) == 3
    assert AbandonedCart.objects.count() == 3
    assert CartSnapshot.objects.filter(snapshot_type=SnapshotType.ABANDONED).count() == 3
    keys = sorted(Notification.objects.filter(kind="cart_recovery").values_list("dedupe_key", flat=True))
    assert keys == sorted(f"cart:{cart.pk}:recovery:1" for cart in carts)


def test_two_workers_at_once_send_the_next_reminder_once():
    variant = VariantFactory(stock=50)
    cart = idle(cart_add_item(user=funded_user(), variant_id=variant.pk, quantity=1).cart, 120)
    carts_abandoned_detect()
    earlier(AbandonedCart.objects.get(cart=cart), hours=25)

    outcomes = race([carts_abandoned_detect] * 4, workers=4)

    assert errors_of(outcomes) == []
    assert sum(o["emails"] for o in outcomes) == 1
    assert AbandonedCart.objects.get(cart=cart).recovery_attempts == 2
    assert Notification.objects.filter(kind="cart_recovery").count() == 2
