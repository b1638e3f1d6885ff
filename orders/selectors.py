"""Reads shared by pages, the API and tasks."""

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from catalog.models import Product
from catalog.selectors import products_for_listing
from payments.models import Payment

from .cache import popular_cache_key
from .models import Order, OrderHistory, OrderItem, ProductDailySales, ProductSaleStat


def orders_of(*, user: User) -> QuerySet[Order]:
    """A customer's own orders, newest first, ready for a list page (constant query count)."""
    return (
        Order.objects.filter(customer=user)
        .select_related("status", "issued_coupon__coupon")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("id")))
        .order_by("-id")
    )


def order_of(*, user: User, order_id: int, with_history: bool = True) -> Order | None:
    """One order of this customer, or None: another customer's order does not exist for them.

    With its lines always; `with_history` adds the status history and the payments (the order
    page shows them; the API's order does not, and every checkout reads one back).
    """
    orders = orders_of(user=user)
    if with_history:
        orders = orders.prefetch_related(
            Prefetch("history", queryset=OrderHistory.objects.select_related("actor").order_by("id")),
            Prefetch("payments", queryset=Payment.objects.order_by("id")),
        )
    return orders.filter(pk=order_id).first()


def popular_window(*, days: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The window of "the last N days": N calendar days in UTC, today included."""
    today = today or timezone.now().date()
    return today - dt.timedelta(days=days - 1), today


def popular_product_quantities(
    *, days: int = 3, limit: int | None = 5, today: dt.date | None = None
) -> list[tuple[int, int]]:
    """[(product_id, quantity sold)] for the top products (all of them with `limit=None`), ties
    broken by product id. Products no longer listed are still counted here.

    Days already rolled up come from `ProductDailySales`; the others (today, and any day the
    rollup has not reached yet) from the live `ProductSaleStat` rows.
    """
    first, last = popular_window(days=days, today=today)
    # A day counts from the rollup once it has rows there (today never does: it is not over).
    rolled_up = set(
        ProductDailySales.objects.filter(date__gte=first, date__lt=last)
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    totals: dict[int, int] = {}
    if rolled_up:
        for row in (
            ProductDailySales.objects.filter(date__in=rolled_up).values("product_id").annotate(q=Sum("quantity"))
        ):
            totals[row["product_id"]] = totals.get(row["product_id"], 0) + row["q"]
    for row in (
        ProductSaleStat.objects.filter(date__gte=first, date__lte=last)
        .exclude(date__in=rolled_up)
        .values("product_id")
        .annotate(q=Sum("quantity"))
    ):
        totals[row["product_id"]] = totals.get(row["product_id"], 0) + row["q"]
    ranked = sorted(((pid, q) for pid, q in totals.items() if q > 0), key=lambda pq: (-pq[1], pq[0]))
    return ranked if limit is None else ranked[:limit]


def popular_products(*, days: int = 3, limit: int = 5, cached: bool = True) -> list[tuple[Product, int]]:
    """The top `limit` listed products with their quantities, cached for
    POPULAR_PRODUCTS_CACHE_SECONDS or until a cancellation (see `orders.cache`).

    Products no longer listed (inactive, deleted) are left out before the cut, so the next best
    sellers take their places. `cached=False` reads the database: for a caller that caches its
    own rendering of the result (the API caches its whole body), so the data is never cached
    twice over.
    """
    key = popular_cache_key(kind="products", days=days, limit=limit) if cached else None
    hit = cache.get(key) if key else None
    if hit is not None:
        return hit
    ranked = popular_product_quantities(days=days, limit=None)
    result: list[tuple[Product, int]] = []
    # Candidates in rank order, a few more than needed per query: usually one query finds them all.
    batch = max(2 * limit, 10)
    for start in range(0, len(ranked), batch):
        candidates = ranked[start : start + batch]
        products = products_for_listing().in_bulk([pid for pid, _ in candidates])
        result += [(products[pid], quantity) for pid, quantity in candidates if pid in products]
        if len(result) >= limit:
            break
    result = result[:limit]
    if key:
        cache.set(key, result, settings.POPULAR_PRODUCTS_CACHE_SECONDS)
    return result


# --- render speed (issue 12) ------------------------------------------------------------------


def orders_for_history_page(*, user: User) -> QuerySet[Order]:
    """A customer's orders for the order history page: only the columns it shows (two queries
    per page, any number of lines). A column the page starts to show belongs in `only()` here,
    or every row reads it with a query of its own (tests/orders pin the count)."""
    return (
        Order.objects.filter(customer=user)
        .select_related("status")
        .only("order_number", "created_at", "status_id", "status__name", "total_amount", "currency")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.only("order_id", "quantity", "product_title").order_by("id"))
        )
        .order_by("-id")
    )
