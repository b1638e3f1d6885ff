"""The daily sales rollup: the service, the `rollup_sales` command and the Celery task."""

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.exceptions import SalesDayNotOverError
from orders.models import Order, ProductDailySales, ProductSaleStat
from orders.services import order_cancel, order_place, sales_rollup, sales_rollup_day, sales_rollup_finished_day
from orders.tasks import sales_rollup_task
from tests.factories.commerce import VariantFactory

from .conftest import place

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 18)


def paid_on(customer, variant, quantity, at: dt.datetime) -> Order:
    order = place(customer, variant, quantity)
    Order.objects.filter(pk=order.pk).update(paid_at=at)
    ProductSaleStat.objects.filter(order_item__order=order).update(date=at.date())
    order.refresh_from_db()
    return order


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def rows(day: dt.date) -> list[tuple[int, int, Decimal]]:
    return list(
        ProductDailySales.objects.filter(date=day)
        .order_by("product_id")
        .values_list("product_id", "quantity", "revenue")
    )


@pytest.fixture
def a(db):
    return VariantFactory(price=Decimal("2.50"), stock=100)


@pytest.fixture
def b(db):
    return VariantFactory(price=Decimal("4.00"), stock=100)


def test_rollup_sums_a_days_paid_lines_per_product(customer, a, b):
    paid_on(customer, a, 2, noon(DAY))
    paid_on(customer, a, 1, dt.datetime.combine(DAY, dt.time(23, 59, 59), tzinfo=dt.UTC))
    paid_on(customer, b, 3, dt.datetime.combine(DAY, dt.time(0, 0), tzinfo=dt.UTC))
    paid_on(customer, b, 7, dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(0, 0), tzinfo=dt.UTC))

    assert sales_rollup(day=DAY) == 2
    assert rows(DAY) == [(a.product_id, 3, Decimal("7.50")), (b.product_id, 3, Decimal("12.00"))]


def test_rerunning_a_day_gives_the_same_rows(customer, a, b):
    paid_on(customer, a, 2, noon(DAY))
    paid_on(customer, b, 1, noon(DAY))
    sales_rollup(day=DAY)
    first = rows(DAY)
    ids = set(ProductDailySales.objects.values_list("pk", flat=True))

    sales_rollup(day=DAY)

    assert rows(DAY) == first
    assert set(ProductDailySales.objects.values_list("pk", flat=True)) == ids  # updated in place


def test_cancelled_orders_are_left_out_and_stale_rows_deleted(customer, a, b):
    paid_on(customer, a, 2, noon(DAY))
    cancelled = paid_on(customer, b, 5, noon(DAY))
    sales_rollup(day=DAY)
    assert [r[0] for r in rows(DAY)] == [a.product_id, b.product_id]

    order_cancel(order_id=cancelled.pk, user=customer)
    sales_rollup(day=DAY)

    assert rows(DAY) == [(a.product_id, 2, Decimal("5.00"))]


def test_other_days_are_not_touched(customer, a):
    paid_on(customer, a, 2, noon(DAY))
    other = ProductDailySales.objects.create(product=a.product, date=DAY - dt.timedelta(days=1), quantity=9)

    sales_rollup(day=DAY)

    assert ProductDailySales.objects.get(pk=other.pk).quantity == 9


def test_a_day_without_sales_has_no_rows(db, a):
    ProductDailySales.objects.create(product=a.product, date=DAY, quantity=4)  # stale
    assert sales_rollup(day=DAY) == 0
    assert rows(DAY) == []


# --- the command -------------------------------------------------------------------------------


def test_command_rolls_up_one_date(customer, a):
    paid_on(customer, a, 2, noon(DAY))
    out = StringIO()

    call_command("rollup_sales", "--date", DAY.isoformat(), stdout=out)

    assert out.getvalue() == f"{DAY.isoformat()}: 1 products with sales\n"
    assert rows(DAY) == [(a.product_id, 2, Decimal("5.00"))]


def test_command_defaults_to_yesterday(customer, a):
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    paid_on(customer, a, 1, noon(yesterday))
    out = StringIO()

    call_command("rollup_sales", stdout=out)

    assert out.getvalue().startswith(yesterday.isoformat())
    assert rows(yesterday) == [(a.product_id, 1, Decimal("2.50"))]


def test_command_since_rolls_up_every_day_to_yesterday(customer, a):
    today = timezone.now().date()
    for n in (1, 2, 3):
        paid_on(customer, a, n, noon(today - dt.timedelta(days=n)))
    out = StringIO()

    call_command("rollup_sales", "--since", (today - dt.timedelta(days=3)).isoformat(), stdout=out)

    assert len(out.getvalue().splitlines()) == 3
    for n in (1, 2, 3):
        assert rows(today - dt.timedelta(days=n))[0][1] == n
    assert not ProductDailySales.objects.filter(date=today).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-13-01"], "Dates are written YYYY-MM-DD"),
        (["--date", "yesterday"], "Dates are written YYYY-MM-DD"),
        (["--since", "20261101"], "Dates are written YYYY-MM-DD"),
        (["--date", "2999-01-01"], "Cannot roll up a day in the future"),
        (["--since", "TODAY"], "--since must be a day before today"),
    ],
)
def test_command_refuses_bad_dates(db, args, message):
    args = [timezone.now().date().isoformat() if a == "TODAY" else a for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("rollup_sales", *args)
    assert not ProductDailySales.objects.exists()


def test_command_bad_date_exits_non_zero_with_one_line():
    """As an operator sees it: one sentence on stderr, no traceback, a non-zero exit status."""
    result = subprocess.run(
        [sys.executable, "manage.py", "rollup_sales", "--date", "not-a-date"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["CommandError: Dates are written YYYY-MM-DD, for example 2026-11-20."]


# --- the task ----------------------------------------------------------------------------------


def test_task_rolls_up_a_given_day(customer, a):
    paid_on(customer, a, 2, noon(DAY))
    assert sales_rollup_task.delay(day=DAY.isoformat()).get() == {DAY.isoformat(): 1}
    assert rows(DAY) == [(a.product_id, 2, Decimal("5.00"))]


def test_task_by_default_redoes_the_last_two_finished_days(customer, a):
    today = timezone.now().date()
    for n in (1, 2, 3):
        paid_on(customer, a, n, noon(today - dt.timedelta(days=n)))

    result = sales_rollup_task()

    assert result == {(today - dt.timedelta(days=2)).isoformat(): 1, (today - dt.timedelta(days=1)).isoformat(): 1}
    assert not ProductDailySales.objects.filter(date=today - dt.timedelta(days=3)).exists()
    assert sales_rollup_task() == result  # idempotent


# --- a cancellation on a day already rolled up -------------------------------------------------


def test_cancelling_an_order_of_a_rolled_up_day_takes_its_lines_off_the_days_rows(customer, a, b):
    """The rows equal a rerun of the rollup at once, not only after the next night."""
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    paid_on(customer, a, 2, noon(yesterday))
    paid_on(customer, b, 1, noon(yesterday))
    cancelled = order_place(
        user=customer, lines=[{"variant_id": a.pk, "quantity": 3}, {"variant_id": b.pk, "quantity": 4}]
    ).order
    Order.objects.filter(pk=cancelled.pk).update(paid_at=noon(yesterday))
    ProductSaleStat.objects.filter(order_item__order=cancelled).update(date=yesterday)
    call_command("rollup_sales", "--date", yesterday.isoformat(), stdout=StringIO())
    assert rows(yesterday) == [(a.product_id, 5, Decimal("12.50")), (b.product_id, 5, Decimal("20.00"))]
    ids = set(ProductDailySales.objects.values_list("pk", flat=True))

    order_cancel(order_id=cancelled.pk, user=customer)

    assert rows(yesterday) == [(a.product_id, 2, Decimal("5.00")), (b.product_id, 1, Decimal("4.00"))]
    assert set(ProductDailySales.objects.values_list("pk", flat=True)) == ids  # changed in place
    after_cancel = rows(yesterday)
    call_command("rollup_sales", "--date", yesterday.isoformat(), stdout=StringIO())
    assert rows(yesterday) == after_cancel


def test_a_row_left_at_zero_is_deleted_as_a_rerun_would(customer, a, b):
    paid_on(customer, a, 2, noon(DAY))
    only_b = paid_on(customer, b, 3, noon(DAY))
    sales_rollup_day(day=DAY)

    order_cancel(order_id=only_b.pk, user=customer)

    assert rows(DAY) == [(a.product_id, 2, Decimal("5.00"))]
    assert sales_rollup_day(day=DAY) == 1
    assert rows(DAY) == [(a.product_id, 2, Decimal("5.00"))]


def test_cancelling_on_a_day_not_rolled_up_writes_no_rows(customer, a):
    order = place(customer, a, 2)  # today: never rolled up

    order_cancel(order_id=order.pk, user=customer)

    assert not ProductDailySales.objects.exists()


def test_other_days_rows_are_left_alone_by_a_cancellation(customer, a):
    paid_on(customer, a, 2, noon(DAY))
    other_day = paid_on(customer, a, 1, noon(DAY - dt.timedelta(days=1)))
    sales_rollup_day(day=DAY)
    sales_rollup_day(day=DAY - dt.timedelta(days=1))

    order_cancel(order_id=other_day.pk, user=customer)

    assert rows(DAY) == [(a.product_id, 2, Decimal("5.00"))]
    assert rows(DAY - dt.timedelta(days=1)) == []


# --- only days that are over ---------------------------------------------------------------------


def test_the_rollup_service_refuses_today_and_later_and_writes_nothing(customer, a):
    today = timezone.now().date()
    place(customer, a, 2)
    for day, message in [(today, "not over yet"), (today + dt.timedelta(days=1), "in the future")]:
        with pytest.raises(SalesDayNotOverError, match=message):
            sales_rollup_finished_day(day=day)
    assert not ProductDailySales.objects.exists()


def test_command_refuses_today(customer, a):
    place(customer, a, 2)
    with pytest.raises(CommandError, match="Cannot roll up today: the day is not over yet"):
        call_command("rollup_sales", "--date", timezone.now().date().isoformat())
    assert not ProductDailySales.objects.exists()


def test_command_for_today_exits_non_zero_with_one_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "rollup_sales", "--date", timezone.now().date().isoformat()],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "CommandError: Cannot roll up today: the day is not over yet (days are in UTC)."
    ]


def test_the_task_rolls_up_any_day_it_is_given_even_today(customer, a):
    """An operator's explicit choice (the scorecard's fault rows use it); the nightly default never
    names today."""
    today = timezone.now().date()
    place(customer, a, 2)
    assert sales_rollup_task.delay(day=today.isoformat()).get() == {today.isoformat(): 1}
    assert rows(today) == [(a.product_id, 2, Decimal("5.00"))]
