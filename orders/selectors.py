"""Reads shared by pages, the API and tasks."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, DateTimeField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value, When
from django.utils import timezone

from accounts.models import User
from catalog.models import Product
from catalog.selectors import products_for_listing
from payments.models import Payment

from .cache import popular_cache_key
from .models import (
    RETURN_HOLDS_QUANTITY,
    Order,
    OrderHistory,
    OrderItem,
    OrderReturn,
    OrderReturnItem,
    OrderState,
    ProductDailySales,
    ProductSaleStat,
)


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


# --- Returns (RMA) ---------------------------------------------------------------------------


def _delivered_at_subquery(order_ref: str) -> Subquery:
    return Subquery(
        OrderHistory.objects.filter(
            order_id=OuterRef(order_ref), field_name="status", new_value=OrderState.DELIVERED.value
        )
        .order_by("-id")
        .values("created_at")[:1]
    )


def order_items_with_delivered_at(items: QuerySet[OrderItem]) -> QuerySet[OrderItem]:
    """Annotate each line with `delivered_at` (None while not delivered), as `order_item_delivered_at`."""
    return items.annotate(
        delivered_at=Case(
            When(order__status_id=OrderState.DELIVERED.value, then=_delivered_at_subquery("order_id")),
            default=Value(None, output_field=DateTimeField()),
            output_field=DateTimeField(),
        )
    )


def order_delivered_at(*, order: Order) -> dt.datetime | None:
    """When the order was delivered: the time of its last change to DELIVERED in its history.

    None while the order is not DELIVERED. Until shipments exist this is order-wide; see
    `order_item_delivered_at`.
    """
    if order.status_id != OrderState.DELIVERED:
        return None
    return (
        OrderHistory.objects.filter(order=order, field_name="status", new_value=OrderState.DELIVERED.value)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )


def order_item_delivered_at(item: OrderItem) -> dt.datetime | None:
    """When this line reached the customer, or None: the return window counts from here.

    Today: the order's delivery (the order is DELIVERED; the time of that status change in
    `OrderHistory`). Once shipments exist (`OrderTracking`, one per shipment with its actual
    delivery time), the shipment that carried the line decides, so a line delivered earlier
    can be returned before the rest of the order arrives.
    """
    annotated = getattr(item, "delivered_at", _UNSET)
    if annotated is not _UNSET:
        return annotated  # type: ignore[return-value]
    return order_delivered_at(order=item.order)


_UNSET = object()


def return_window_closes_at(delivered_at: dt.datetime | None) -> dt.datetime | None:
    if delivered_at is None:
        return None
    return delivered_at + dt.timedelta(days=settings.ORDER_RETURN_WINDOW_DAYS)


def returned_quantities(*, order_item_ids: list[int]) -> dict[int, int]:
    """{order line id: units already returned or being returned} (rejected returns hold none)."""
    rows = (
        OrderReturnItem.objects.filter(order_item_id__in=order_item_ids, order_return__status__in=RETURN_HOLDS_QUANTITY)
        .values("order_item_id")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    return {row["order_item_id"]: row["quantity"] for row in rows}


@dataclass(frozen=True)
class ReturnableLine:
    item: OrderItem
    returnable: int  # bought minus returned or being returned; 0 when none can go back now
    delivered_at: dt.datetime | None
    window_closes_at: dt.datetime | None


def order_returnable_lines(*, order: Order, now: dt.datetime | None = None) -> list[ReturnableLine]:
    """Each line of the order with how many units can still be returned now (two queries)."""
    now = now or timezone.now()
    items = list(order_items_with_delivered_at(OrderItem.objects.filter(order=order)).order_by("id"))
    held = returned_quantities(order_item_ids=[item.pk for item in items])
    lines = []
    for item in items:
        closes = return_window_closes_at(item.delivered_at)  # type: ignore[attr-defined]
        open_now = closes is not None and now <= closes
        returnable = max(item.quantity - held.get(item.pk, 0), 0) if open_now else 0
        lines.append(ReturnableLine(item, returnable, item.delivered_at, closes))  # type: ignore[attr-defined]
    return lines


def _returns_with_details(returns: QuerySet[OrderReturn]) -> QuerySet[OrderReturn]:
    return returns.select_related("order").prefetch_related(
        Prefetch("items", queryset=OrderReturnItem.objects.select_related("order_item").order_by("id"))
    )


def returns_of(*, user: User, order_id: int | None = None) -> QuerySet[OrderReturn]:
    """A customer's own returns (of one order when given), newest first, with their lines."""
    returns = OrderReturn.objects.filter(customer=user, order__customer=user)
    if order_id is not None:
        returns = returns.filter(order_id=order_id)
    return _returns_with_details(returns).order_by("-id")


def return_of(*, user: User, return_id: int) -> OrderReturn | None:
    """One of this customer's returns, or None: another customer's return does not exist for them."""
    return returns_of(user=user).filter(pk=return_id).first()


def return_lines_of_seller(*, seller_id: int) -> QuerySet[OrderReturnItem]:
    """The returned lines of this seller's order lines, newest return first (the seller center,
    read-only): never another seller's lines, even when one return holds both. One query."""
    return (
        OrderReturnItem.objects.filter(order_item__seller_id=seller_id)
        .select_related("order_return__order", "order_item")
        .order_by("-order_return_id", "id")
    )
