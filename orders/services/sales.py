"""The daily sales rollup (`ProductDailySales`), and taking an undone order's sale back (a
cancellation, or a return that gives back the whole order), under the same lock."""

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..cache import popular_products_changed
from ..exceptions import SalesDayNotOverError
from ..models import SOLD_STATES, Order, OrderItem, ProductDailySales, ProductSaleStat

logger = logging.getLogger(__name__)


# Any fixed number names the lock; the day's ordinal is the second half of the key.
_DAILY_SALES_LOCK_CLASS = 0x0DA1


def _daily_sales_lock(day: dt.date) -> None:
    """Serialize, until commit, every writer of one day's `ProductDailySales` rows.

    Taken by the rollup before it reads the day's order lines and by `order_sale_take_back`
    before it takes an order's lines off the day's rows, so a cancellation or a full refund can
    never fall between the rollup's read and its write (the rollup would store the undone lines
    again). It is the last lock of a cancellation or a refund (after the wallet) and the first of
    a rollup, which takes no other, so they cannot deadlock. SQLite (the embedded default) runs
    one writer at a time anyway.
    """
    if transaction.get_connection().vendor == "postgresql":
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_DAILY_SALES_LOCK_CLASS, day.toordinal()])


def _daily_sales_take_back(*, order_id: int, day: dt.date) -> None:
    """Take an undone order's lines off its sale day's rolled-up rows, so they equal a rerun.

    Each row changes in one conditional UPDATE (never read, changed and written back), so
    concurrent cancellations of the same day each subtract their own lines. A row left at zero
    is deleted: the rollup writes no row for a product without sales. A day not rolled up yet
    has no rows, and nothing changes.
    """
    _daily_sales_lock(day)
    if not ProductDailySales.objects.filter(date=day).exists():
        return  # not rolled up (yet): the rollup will count the order out
    lines = list(
        OrderItem.objects.filter(order_id=order_id)
        .values("product_id")
        .annotate(quantity=Sum("quantity"), revenue=Sum("total_price"))
        .order_by("product_id")
    )
    now = timezone.now()
    for line in lines:
        updated = ProductDailySales.objects.filter(
            product_id=line["product_id"], date=day, quantity__gte=line["quantity"]
        ).update(quantity=F("quantity") - line["quantity"], revenue=F("revenue") - line["revenue"], updated_at=now)
        if not updated and ProductDailySales.objects.filter(product_id=line["product_id"], date=day).exists():
            # Only if the day was rolled up before it was over: the nightly rerun mends it.
            logger.warning("Daily sales of product %s on %s hold less than order %s", line["product_id"], day, order_id)
    ProductDailySales.objects.filter(
        product_id__in=[line["product_id"] for line in lines], date=day, quantity=0
    ).delete()


def order_sale_take_back(*, order: Order) -> None:
    """The sale of a locked order no longer counts (it leaves SOLD_STATES: cancelled, or refunded
    whole after a return): a negative `ProductSaleStat` row per line and its lines off the
    rolled-up day, once, by whichever service moves the order out of SOLD_STATES.

    The reversal is dated on the day of the sale, so live stats and the daily rollup (which
    counts orders by the day they were paid) always agree. Popular products are counted afresh
    after commit.
    """
    sale_day = (order.paid_at or timezone.now()).date()
    ProductSaleStat.objects.bulk_create(
        [
            ProductSaleStat(product_id=item.product_id, order_item=item, quantity=-item.quantity, date=sale_day)
            for item in order.items.all()
        ]
    )
    _daily_sales_take_back(order_id=order.pk, day=sale_day)
    popular_products_changed()  # after commit


def sales_rollup_day(*, day: dt.date) -> int:
    """Roll up one day under the day's lock, then let popular products be counted afresh: what
    the nightly task runs. Returns the number of products with sales that day (the rows written).

    The lock (see `_daily_sales_lock`) puts a cancellation at the same moment either before the
    rollup's read (its lines are left out) or after its write (it takes them off the rows).
    """
    with transaction.atomic():
        _daily_sales_lock(day)
        products = sales_rollup(day=day)
        popular_products_changed()  # after commit
    return products


def sales_rollup_finished_day(*, day: dt.date) -> int:
    """Roll up one day that is over (UTC): what `manage.py rollup_sales` and the admin run.

    Raises SalesDayNotOverError for today or a later day: its sales are still coming in, and
    popular products read a day that has rows from those rows alone.
    """
    today = timezone.now().date()
    if day > today:
        raise SalesDayNotOverError(_("Cannot roll up a day in the future."), extra={"date": day.isoformat()})
    if day == today:
        raise SalesDayNotOverError(
            _("Cannot roll up today: the day is not over yet (days are in UTC)."), extra={"date": day.isoformat()}
        )
    return sales_rollup_day(day=day)


def sales_rollup(*, day: dt.date) -> int:
    """Rebuild `ProductDailySales` for one day from the order lines paid that day and still sold.

    Rerunning a day gives the same rows: the day's rows are replaced in one transaction.
    Returns the number of products with sales that day.
    """
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    totals = (
        OrderItem.objects.filter(
            order__paid_at__gte=start, order__paid_at__lt=end, order__status__in=[str(state) for state in SOLD_STATES]
        )
        .values("product_id")
        .annotate(quantity=Sum("quantity"), revenue=Sum("total_price"))
        .order_by("product_id")
    )
    rows = [
        ProductDailySales(
            product_id=t["product_id"], date=day, quantity=t["quantity"], revenue=t["revenue"] or Decimal(0)
        )
        for t in totals
    ]
    with transaction.atomic():
        ProductDailySales.objects.filter(date=day).exclude(product_id__in=[r.product_id for r in rows]).delete()
        ProductDailySales.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["product", "date"],
            update_fields=["quantity", "revenue", "updated_at"],
        )
    return len(rows)
