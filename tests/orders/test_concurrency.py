"""Checkout under real concurrency: threads, each with its own PostgreSQL connection, released
together by a barrier. Nothing is oversold, no two orders deadlock, an Idempotency-Key makes one
order, a coupon is used once, and a wallet's balance always equals its ledger."""

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.exceptions import InsufficientStockError
from inventory.models import ChangeType, InventoryHistory, InventoryItem
from orders.models import Order, OrderState, ProductDailySales, ProductSaleStat
from orders.services import PlacedOrder, order_cancel, order_place, sales_rollup_day
from payments.exceptions import InsufficientBalanceError
from payments.models import EntryType, Wallet, WalletEntry
from payments.services import wallet_charge
from promotions.exceptions import CouponNotUsableError
from promotions.models import IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, VariantFactory

from .conftest import funded_user, ledger_sum

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

WORKERS = 25


def race(calls: list[Callable[[], Any]], workers: int = WORKERS) -> list[Any]:
    """Run the calls on `workers` threads released together; each call's result or exception.

    Every thread uses its own database connection and closes it when done.
    """
    workers = min(workers, len(calls))
    barrier = threading.Barrier(workers)
    outcomes: list[Any] = [None] * len(calls)

    def work(indexes: list[int]) -> None:
        try:
            barrier.wait(timeout=30)
            for i in indexes:
                try:
                    outcomes[i] = calls[i]()
                except Exception as exc:  # noqa: BLE001 - the test sorts the outcomes
                    outcomes[i] = exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(work, list(range(n, len(calls), workers))) for n in range(workers)]
        for future in futures:
            future.result(timeout=120)
    return outcomes


def errors_of(outcomes: list[Any]) -> list[Exception]:
    return [o for o in outcomes if isinstance(o, Exception)]


def assert_no_unexpected_errors(outcomes: list[Any], *allowed: type[Exception]) -> None:
    unexpected = [e for e in errors_of(outcomes) if not isinstance(e, allowed)]
    assert unexpected == [], unexpected[:3]
    assert not any(isinstance(e, OperationalError) for e in errors_of(outcomes))  # no deadlock, no timeout


def sale_deltas(*variants) -> int:
    return (
        InventoryHistory.objects.filter(inventory_item__variant__in=variants, change_type=ChangeType.SALE).aggregate(
            s=Sum("quantity_delta")
        )["s"]
        or 0
    )


def test_200_customers_for_50_units_sell_exactly_50():
    variant = VariantFactory(price=Decimal("20.00"), stock=50)
    customers = [funded_user("100.00") for _ in range(200)]

    outcomes = race(
        [
            lambda user=user: order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}])
            for user in customers
        ]
    )

    assert_no_unexpected_errors(outcomes, InsufficientStockError)
    winners = {o.order.customer_id for o in outcomes if not isinstance(o, Exception)}
    assert len(winners) == 50
    assert len(errors_of(outcomes)) == 150
    assert Order.objects.filter(status=OrderState.PAID).count() == 50 == Order.objects.count()
    assert InventoryItem.objects.get(variant=variant).quantity == 0
    assert sale_deltas(variant) == -50
    for user in customers:
        balance = Wallet.objects.get(user=user).balance
        entries = list(WalletEntry.objects.filter(wallet__user=user).values_list("entry_type", flat=True))
        if user.pk in winners:
            assert balance == Decimal("80.00") and sorted(entries) == [EntryType.CHARGE, EntryType.USE]
        else:
            assert balance == Decimal("100.00") and entries == [EntryType.CHARGE]  # untouched
        assert balance == ledger_sum(user)


def test_opposite_line_orders_do_not_deadlock():
    a = VariantFactory(price=Decimal("1.00"), stock=1000)
    b = VariantFactory(price=Decimal("2.00"), stock=1000)
    customers = [funded_user("100.00") for _ in range(WORKERS)]
    calls = []
    for n in range(WORKERS * 4):
        first, second = (a, b) if n % 2 else (b, a)
        lines = [{"variant_id": first.pk, "quantity": 1}, {"variant_id": second.pk, "quantity": 2}]
        calls.append(lambda user=customers[n % WORKERS], lines=lines: order_place(user=user, lines=lines))

    outcomes = race(calls)

    assert_no_unexpected_errors(outcomes)
    placed = len(calls)
    assert Order.objects.filter(status=OrderState.PAID).count() == placed
    a_sold = Order.objects.filter(items__variant=a).aggregate(q=Sum("items__quantity"))["q"]
    b_sold = Order.objects.filter(items__variant=b).aggregate(q=Sum("items__quantity"))["q"]
    assert InventoryItem.objects.get(variant=a).quantity == 1000 - a_sold
    assert InventoryItem.objects.get(variant=b).quantity == 1000 - b_sold
    assert a_sold + b_sold == placed * 3
    assert sale_deltas(a, b) == -(a_sold + b_sold)
    for user in customers:
        assert Wallet.objects.get(user=user).balance == ledger_sum(user)


def test_same_idempotency_key_ten_times_at_once_makes_one_order():
    variant = VariantFactory(price=Decimal("20.00"), stock=10)
    customer = funded_user("100.00")
    key = str(uuid.uuid4())

    def post() -> Any:
        client = APIClient()
        client.force_authenticate(customer)
        return client.post(
            "/api/v1/orders/",
            {"items": [{"variant_id": variant.pk, "quantity": 1}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    responses = race([post] * 10, workers=10)

    assert errors_of(responses) == []
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 9}
    assert len({r.content for r in responses}) == 1  # every call got the same order, byte for byte
    order = Order.objects.get()
    assert responses[0].json()["id"] == order.pk
    assert InventoryItem.objects.get(variant=variant).quantity == 9
    assert Wallet.objects.get(user=customer).balance == Decimal("80.00") == ledger_sum(customer)


def test_one_coupon_in_20_parallel_orders_is_used_once():
    variant = VariantFactory(price=Decimal("20.00"), stock=100)
    customer = funded_user("1000.00")
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)

    outcomes = race(
        [lambda: order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}], coupon_ref=issued.pk)]
        * 20,
        workers=20,
    )

    # A coupon asked for and not usable is refused, not silently dropped: the customer decides.
    assert_no_unexpected_errors(outcomes, CouponNotUsableError)
    placed = [o.order for o in outcomes if not isinstance(o, Exception)]
    assert len(placed) == 1 and len(errors_of(outcomes)) == 19
    assert all(e.code == "coupon_not_usable" for e in errors_of(outcomes))
    winner = Order.objects.get()
    assert winner.discount_amount == Decimal("5.00") and winner.issued_coupon_id == issued.pk
    issued.refresh_from_db()
    assert issued.used_at is not None and issued.order_id == winner.pk
    assert IssuedCoupon.objects.filter(user=customer, order__isnull=False).count() == 1
    assert InventoryItem.objects.get(variant=variant).quantity == 99
    assert Wallet.objects.get(user=customer).balance == Decimal("985.00") == ledger_sum(customer)


def test_orders_and_top_ups_on_one_wallet_keep_balance_equal_to_ledger():
    variant = VariantFactory(price=Decimal("20.00"), stock=1000)
    customer = funded_user("100.00")
    calls: list[Callable[[], Any]] = []
    for n in range(100):
        if n % 2:
            calls.append(lambda: wallet_charge(user=customer, amount="10.00", reference="race"))
        else:
            calls.append(lambda: order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}]))

    outcomes = race(calls)

    assert_no_unexpected_errors(outcomes, InsufficientBalanceError)
    assert all(o is not None for o in outcomes)
    orders = sum(1 for o in outcomes if isinstance(o, PlacedOrder))
    assert Order.objects.filter(customer=customer, status=OrderState.PAID).count() == orders == Order.objects.count()
    assert sum(1 for o in outcomes if isinstance(o, WalletEntry)) == 50
    wallet = Wallet.objects.get(user=customer)
    assert wallet.balance == Decimal("100.00") + 50 * Decimal("10.00") - orders * Decimal("20.00")
    assert wallet.balance == ledger_sum(customer) and wallet.balance >= 0
    # The ledger is one consistent sequence: each entry's balance follows from the one before.
    running = Decimal("0.00")
    for entry in WalletEntry.objects.filter(wallet=wallet).order_by("id"):
        running += entry.signed_amount
        assert entry.balance_after == running >= 0
    assert InventoryItem.objects.get(variant=variant).quantity == 1000 - orders


# --- cancellations of a day already rolled up ----------------------------------------------------


def paid_yesterday(user, variant, quantity: int) -> Order:
    order = order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": quantity}]).order
    paid_at = timezone.now() - dt.timedelta(days=1)
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
    ProductSaleStat.objects.filter(order_item__order=order).update(date=paid_at.date())
    return order


def daily_rows(day: dt.date) -> list[tuple[int, int, Decimal]]:
    return list(
        ProductDailySales.objects.filter(date=day)
        .order_by("product_id")
        .values_list("product_id", "quantity", "revenue")
    )


def test_concurrent_cancellations_of_a_rolled_up_day_leave_the_rows_a_rerun_gives():
    a = VariantFactory(price=Decimal("2.00"), stock=1000)
    b = VariantFactory(price=Decimal("3.00"), stock=1000)
    customers = [funded_user("100.00") for _ in range(20)]
    orders = [paid_yesterday(user, a if n % 2 else b, 1 + n % 3) for n, user in enumerate(customers)]
    yesterday = (timezone.now() - dt.timedelta(days=1)).date()
    sales_rollup_day(day=yesterday)
    cancelled = orders[:15]  # every one of b's rows goes, some of a's stay

    outcomes = race([lambda order=order: order_cancel(order_id=order.pk, user=order.customer) for order in cancelled])

    assert_no_unexpected_errors(outcomes)
    after = daily_rows(yesterday)
    sales_rollup_day(day=yesterday)
    assert daily_rows(yesterday) == after
    assert sum(q for _, q, _ in after) == sum(o.items.get().quantity for o in orders[15:])


def test_a_rollup_racing_cancellations_of_its_day_never_counts_a_cancelled_order():
    """The day's lock: a cancellation lands either before the rollup's read or after its write."""
    variants = [VariantFactory(price=Decimal("1.00"), stock=10) for _ in range(6)]  # stock rows apart
    customers = [funded_user("100.00") for _ in range(24)]
    orders = [paid_yesterday(user, variants[n % 6], 1) for n, user in enumerate(customers)]
    yesterday = (timezone.now() - dt.timedelta(days=1)).date()
    sales_rollup_day(day=yesterday)
    calls: list[Callable[[], Any]] = []
    for order in orders[:18]:
        calls.append(lambda order=order: order_cancel(order_id=order.pk, user=order.customer))
        calls.append(lambda: sales_rollup_day(day=yesterday))

    outcomes = race(calls)

    assert_no_unexpected_errors(outcomes)
    assert daily_rows(yesterday) == [
        (v.product_id, 1, Decimal("1.00")) for v in sorted(variants, key=lambda v: v.product_id)
    ]


def _waits_on_an_advisory_lock() -> bool:
    """Whether another connection of this test database is blocked on an advisory lock (the day's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid()"
        )
        return bool(cursor.fetchone()[0])


def test_a_cancellation_arriving_between_the_rollups_read_and_write_waits_for_the_write():
    """The interleaving the day's lock exists for, forced rather than hoped for: the rollup has read
    the day's lines (the doomed order still counted) and is held before its first write; the
    cancellation starts then and must wait on the day's lock until the rollup commits, then take
    its lines off the rows the rollup wrote. Without the lock (in the rollup or in the
    cancellation) it runs through, and the rollup writes the cancelled lines back."""
    a = VariantFactory(price=Decimal("2.00"), stock=100)
    b = VariantFactory(price=Decimal("3.00"), stock=100)
    kept = paid_yesterday(funded_user("100.00"), a, 2)
    doomed = order_place(
        user=funded_user("100.00"), lines=[{"variant_id": a.pk, "quantity": 3}, {"variant_id": b.pk, "quantity": 4}]
    ).order
    kept.refresh_from_db()
    Order.objects.filter(pk=doomed.pk).update(paid_at=kept.paid_at)
    ProductSaleStat.objects.filter(order_item__order=doomed).update(date=kept.paid_at.date())
    yesterday = kept.paid_at.date()
    sales_rollup_day(day=yesterday)
    assert daily_rows(yesterday) == [(a.product_id, 5, Decimal("10.00")), (b.product_id, 4, Decimal("12.00"))]

    rollup_has_read, rollup_may_write, cancel_done = threading.Event(), threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_before_the_first_write(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if not rollup_has_read.is_set() and sql.lstrip().upper().startswith("DELETE") and "productdailysales" in sql:
            rollup_has_read.set()
            rollup_may_write.wait(timeout=30)
        return execute(sql, params, many, context)

    def rollup() -> None:
        try:
            with connection.execute_wrapper(hold_before_the_first_write):
                outcome["rollup"] = sales_rollup_day(day=yesterday)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["rollup"] = exc
        finally:
            rollup_has_read.set()
            connection.close()

    def cancel() -> None:
        try:
            outcome["cancel"] = order_cancel(order_id=doomed.pk, user=doomed.customer)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["cancel"] = exc
        finally:
            cancel_done.set()
            connection.close()

    rollup_thread, cancel_thread = threading.Thread(target=rollup), threading.Thread(target=cancel)
    rollup_thread.start()
    assert rollup_has_read.wait(timeout=10)
    cancel_thread.start()
    deadline = time.monotonic() + 10
    while not (cancel_waited := _waits_on_an_advisory_lock()) and not cancel_done.is_set():
        assert time.monotonic() < deadline, "the cancellation neither waited nor finished"
        time.sleep(0.01)
    rollup_may_write.set()
    rollup_thread.join(timeout=30)
    cancel_thread.join(timeout=30)

    assert outcome["rollup"] == 2, outcome["rollup"]
    assert isinstance(outcome["cancel"], Order), outcome["cancel"]
    assert daily_rows(yesterday) == [(a.product_id, 2, Decimal("4.00"))]  # what a rerun gives
    assert cancel_waited, "the cancellation ran between the rollup's read and its write"
    sales_rollup_day(day=yesterday)
    assert daily_rows(yesterday) == [(a.product_id, 2, Decimal("4.00"))]
