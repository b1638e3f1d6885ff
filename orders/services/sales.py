"""The daily sales rollup (`ProductDailySales`), and its lock shared with cancellation."""

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..cache import popular_products_changed
from ..exceptions import SalesDayNotOverError
from ..models import SOLD_STATES, OrderItem, ProductDailySales

logger = logging.getLogger(__name__)


# Any fixed number names the lock; the day's ordinal is the second half of the key.
_DAILY_SALES_LOCK_CLASS = 0x0DA1


def _daily_sales_lock(day: dt.date) -> None:
    """Serialize, until commit, every writer of one day's `ProductDailySales` rows.

    Taken by the rollup before it reads the day's order lines and by a cancellation before it
    takes its lines off the day's rows, so a cancellation can never fall between the rollup's
    read and its write (the rollup would store the cancelled lines again). It is the last lock
    of a cancellation (after the wallet) and the first of a rollup, which takes no other, so
    the two cannot deadlock. SQLite (the embedded default) runs one writer at a time anyway.
    """
    if transaction.get_connection().vendor == "postgresql":
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_DAILY_SALES_LOCK_CLASS, day.toordinal()])


def _daily_sales_take_back(*, order_id: int, day: dt.date) -> None:
    """Take a cancelled order's lines off its sale day's rolled-up rows, so they equal a rerun.

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
