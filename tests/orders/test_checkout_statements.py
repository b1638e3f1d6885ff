"""The statements checkout sends, in order: which rows it reads, writes and locks, and when.

Pinned so that a change of the code's shape (named steps, typed results) cannot add a statement
or move a lock: the contended rows (stock, wallet, order-number counter) come last, each held
from its first statement to the commit. The new order's lines come back with it (`PlacedOrder.
lines`), so the API shows the order it just placed without reading its lines again.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from carts.services import cart_add_item
from orders.services import order_place, order_place_from_cart
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"')


def _trace(captured: CaptureQueriesContext) -> list[str]:
    """Each statement as `VERB table` (`+lock` when it locks rows); savepoints left out."""
    steps = []
    for query in captured.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0]
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            continue
        table = _TABLE.search(sql)
        steps.append(f"{verb} {table.group(1) if table else '?'}{' +lock' if 'FOR UPDATE' in sql else ''}")
    return steps


# Reads first (no lock), then the coupon, then the rows nobody else waits for, then the contended ones.
# The delivery address (one read, through its owner) and the pricing rules (two small reads; with
# the shared cache on, as in production, they come from Redis and are not statements at all).
_CHECKOUT = [
    "SELECT catalog_productvariant",
    "SELECT accounts_address",
    "SELECT orders_shippingrule",
    "SELECT orders_taxrate",
    "SELECT inventory_inventoryitem",
    "SELECT promotions_issuedcoupon +lock",
    "INSERT orders_order",
    "INSERT orders_orderitem",
    "INSERT orders_productsalestat",
    "INSERT orders_orderhistory",
    "INSERT orders_ordersnapshot",  # the order as confirmed (paid)
    "INSERT common_notification",  # the order e-mail, in the one outbox (common.outbox)
    "UPDATE promotions_issuedcoupon",
    "INSERT payments_payment",
    "INSERT payments_paymenttransaction",
    "UPDATE inventory_inventoryitem",
    "UPDATE inventory_inventoryitem",
    "UPDATE inventory_inventoryitem",
    "INSERT inventory_inventoryhistory",
    "UPDATE payments_wallet",
    "INSERT payments_walletentry",
    "WITH orders_ordernumbercounter",
]


@pytest.fixture
def three_variants(db):
    return [VariantFactory(price=Decimal("5.00"), stock=10) for _ in range(3)]


def test_checkout_statements_in_lock_order(three_variants):
    user = funded_user()
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("1.00")).pk, user=user)
    lines = [{"variant_id": v.pk, "quantity": 2} for v in three_variants]

    with CaptureQueriesContext(connection) as placing:
        placed = order_place(user=user, lines=lines, coupon_ref=issued.pk, idempotency_key="trace-1")
    assert _trace(placing) == _CHECKOUT

    assert placed.created and placed.lines is not None
    assert [(item.variant_id, item.quantity) for item in placed.lines] == [(v.pk, 2) for v in three_variants]
    assert list(placed.order.items.order_by("pk")) == list(placed.lines)


def test_checkout_from_the_cart_locks_the_cart_first(three_variants):
    user = funded_user()
    for variant in three_variants:
        cart_add_item(user=user, variant_id=variant.pk, quantity=1)

    with CaptureQueriesContext(connection) as placing:
        placed = order_place_from_cart(user=user, idempotency_key="trace-2")

    trace = _trace(placing)
    # The attempt's snapshot first, in its own transaction (kept even if the checkout is refused).
    assert (trace[0], trace[2]) == ("SELECT carts_cart", "INSERT carts_cartsnapshot")
    steps = trace[3:]
    assert steps[0] == "SELECT carts_cart +lock"
    without_coupon = [s for s in _CHECKOUT if "promotions_issuedcoupon" not in s]
    assert without_coupon == steps[2 : 2 + len(without_coupon)]
    # The cart closes, then its abandonment (if any) is converted: one UPDATE by the unique key,
    # which for a cart never abandoned touches no row (carts.abandonment.abandoned_cart_order_placed).
    assert steps[-2:] == ["UPDATE carts_cart", "UPDATE carts_abandonedcart"]
    assert placed.lines is not None and len(placed.lines) == 3


def test_the_api_shows_the_order_it_placed_without_reading_it_back(three_variants):
    user = funded_user()
    api = APIClient()
    api.force_authenticate(user)
    body = [{"variant_id": v.pk, "quantity": 1} for v in three_variants]

    with CaptureQueriesContext(connection) as posting:
        response = api.post(reverse("orders_api:order-list"), {"items": body}, format="json")

    assert response.status_code == 201
    assert [line["variant_id"] for line in response.json()["items"]] == [v.pk for v in three_variants]
    reads_back = [
        q["sql"] for q in posting.captured_queries if q["sql"].startswith("SELECT") and 'FROM "orders_order' in q["sql"]
    ]
    assert reads_back == []


def test_a_replay_reads_its_order_and_lines_back(three_variants):
    user = funded_user()
    lines = [{"variant_id": v.pk, "quantity": 1} for v in three_variants]
    first = order_place(user=user, lines=lines, idempotency_key="trace-3")

    again = order_place(user=user, lines=lines, idempotency_key="trace-3")

    assert (again.created, again.lines, again.order.pk) == (False, None, first.order.pk)
