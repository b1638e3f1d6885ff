"""Reads shared by pages, the API and tasks."""

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Seller, User
from catalog.models import Product
from catalog.selectors import products_for_listing
from common.paging import PagedRows
from common.prepared import PreparedQuery
from inventory.models import ReservationStatus, StockReservation
from payments.models import IN_FLIGHT_PAYMENT_STATES, Payment, PaymentMethod
from payments.selectors import payment_methods_of
from payments.services.card import payment_method_usable

from .cache import popular_cache_key
from .models import (
    RETURN_HOLDS_QUANTITY,
    CancellationStatus,
    IssueStatus,
    Order,
    OrderCancellation,
    OrderHistory,
    OrderIssue,
    OrderItem,
    OrderReturn,
    OrderReturnItem,
    OrderState,
    OrderTracking,
    OrderTrackingItem,
    ProductDailySales,
    ProductSaleStat,
    ReturnStatus,
    ShippingCarrier,
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

    With its lines always; `with_history` adds the status history, the payments, the
    cancellations and the issues (the order page shows them; the API's order does not, and
    every checkout reads one back).
    """
    orders = orders_of(user=user)
    if with_history:
        orders = orders.prefetch_related(
            Prefetch("history", queryset=OrderHistory.objects.select_related("actor").order_by("id")),
            Prefetch("payments", queryset=Payment.objects.order_by("id")),
            Prefetch("cancellations", queryset=OrderCancellation.objects.order_by("-id")),
            Prefetch("issues", queryset=OrderIssue.objects.order_by("-id")),
            Prefetch("shipments", queryset=_shipments_shown()),
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


# ---------------------------------------------------------------------------------------------
# Cancellations and order issues (issue 13, branch `cancel`)
# ---------------------------------------------------------------------------------------------


def cancellations_of(*, order: Order) -> QuerySet[OrderCancellation]:
    return OrderCancellation.objects.filter(order=order).order_by("-id")


def order_issues_of(*, user: User) -> QuerySet[OrderIssue]:
    """A customer's own issues, newest first (another customer's do not exist for them)."""
    return (
        OrderIssue.objects.filter(customer=user)
        .select_related("order", "related_seller")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("id")))
        .order_by("-id")
    )


def order_issue_of(*, user: User, issue_id: int) -> OrderIssue | None:
    return order_issues_of(user=user).filter(pk=issue_id).first()


def seller_issues(*, seller: Seller) -> QuerySet[OrderIssue]:
    """The issues about a seller's lines, newest first; each with only this seller's lines."""
    return (
        OrderIssue.objects.filter(related_seller=seller)
        .select_related("order")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.filter(seller=seller).order_by("id")))
        .order_by("-id")
    )


def seller_issue_get(*, seller: Seller, issue_id: int) -> OrderIssue | None:
    return seller_issues(seller=seller).filter(pk=issue_id).first()


# --- Fulfilment: shipments, their lines, and what sellers see ------------------------------------


def _shipments_shown() -> QuerySet[OrderTracking]:
    """Shipments with their carrier, seller and lines, ready to show (a constant number of reads)."""
    return (
        OrderTracking.objects.select_related("carrier", "seller")
        .prefetch_related(Prefetch("lines", queryset=OrderTrackingItem.objects.select_related("order_item")))
        .order_by("id")
    )


def order_has_shipment(order: Order) -> bool:
    """Has any of the order left the shop? The one answer for cancellations and returns.

    True once a seller shipped a line (a shipment row), and also for an order staff moved to
    shipped or delivered by hand from the console, which has no shipment row (or that was
    refunded after that: only a delivered order becomes refunded).
    """
    if order.status_id in (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.REFUNDED):
        return True
    return OrderTracking.objects.filter(order_id=order.pk).exists()


def order_shipments(*, order: Order) -> QuerySet[OrderTracking]:
    """The order's shipments, oldest first. Fetch the order through its owner first."""
    return _shipments_shown().filter(order_id=order.pk)


def _delivered_by_hand_at() -> Subquery:
    """When the line's order last became DELIVERED in its history (staff can mark an order
    delivered by hand from the console: then it has no shipment to say so). A refunded order
    was delivered first, so its lines keep that time."""
    return Subquery(
        OrderHistory.objects.filter(
            order_id=OuterRef("order_id"), field_name="status", new_value=OrderState.DELIVERED.value
        )
        .order_by("-id")
        .values("created_at")[:1]
    )


def _with_delivered_at(items: QuerySet[OrderItem]) -> QuerySet[OrderItem]:
    return items.annotate(
        delivered_at=Case(
            When(shipment_line__isnull=False, then=F("shipment_line__tracking__delivered_at")),
            When(
                order__status_id__in=[OrderState.DELIVERED.value, OrderState.REFUNDED.value],
                then=_delivered_by_hand_at(),
            ),
            default=Value(None, output_field=DateTimeField()),
            output_field=DateTimeField(),
        )
    )


def order_items_with_delivery(*, order: Order) -> QuerySet[OrderItem]:
    """The order's lines, each annotated with `delivered_at`: when the parcel carrying it arrived
    (None: not shipped, or not delivered yet). Returns use it: a line is returnable once delivered,
    within the return window counted from this time. A line that never shipped, of an order staff
    marked delivered by hand, counts from that status change (`OrderHistory`).
    """
    return _with_delivered_at(OrderItem.objects.filter(order_id=order.pk)).order_by("id")


def order_item_delivered_at(item: OrderItem) -> dt.datetime | None:
    """When this line reached the customer, or None: as `order_items_with_delivery`, for one line."""
    annotated = getattr(item, "delivered_at", _UNSET)
    if annotated is not _UNSET:
        return annotated  # type: ignore[return-value]
    row = _with_delivered_at(OrderItem.objects.filter(pk=item.pk)).first()
    return getattr(row, "delivered_at", None)


_UNSET = object()


def carriers_active() -> QuerySet[ShippingCarrier]:
    return ShippingCarrier.objects.filter(is_active=True).order_by("name")


def seller_for(user: Any) -> Seller | None:
    """The user's seller profile if it is active (seller pages and API), else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    seller = Seller.objects.filter(user=user).first()
    return seller if seller is not None and seller.is_active_seller else None


def seller_order_lines(*, seller: Seller, to_ship: bool | None = None) -> QuerySet[OrderItem]:
    """The seller's own lines of every order, newest order first, with their order and shipment.

    Never another seller's line. `to_ship=True`: lines not shipped yet of orders that can ship;
    `False`: lines that shipped. A constant number of reads for a page.
    """
    lines = (
        OrderItem.objects.filter(seller=seller)
        .select_related("order", "order__status", "shipment_line__tracking__carrier")
        .order_by("-order_id", "id")
    )
    if to_ship is True:
        lines = lines.filter(shipment_line__isnull=True, order__status__in=[OrderState.PAID, OrderState.PROCESSING])
    elif to_ship is False:
        lines = lines.filter(shipment_line__isnull=False)
    return lines


def seller_order_get(*, seller: Seller, order_id: int) -> Order | None:
    """An order with lines of this seller, with only those lines (`seller_lines`) and only this
    seller's shipments (`seller_shipments`); None for any other order."""
    has_my_lines = Exists(OrderItem.objects.filter(order=OuterRef("pk"), seller=seller))
    return (
        Order.objects.filter(has_my_lines, pk=order_id)
        .select_related("status")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=OrderItem.objects.filter(seller=seller)
                .select_related("shipment_line__tracking__carrier")
                .order_by("id"),
                to_attr="seller_lines",
            ),
            Prefetch("shipments", queryset=_shipments_shown().filter(seller=seller), to_attr="seller_shipments"),
        )
        .first()
    )


def seller_shipments(*, seller: Seller) -> QuerySet[OrderTracking]:
    """The seller's shipments, newest first."""
    return _shipments_shown().select_related("order").filter(seller=seller).order_by("-id")


@dataclass(frozen=True)
class TimelineEntry:
    """One event on an order's timeline page. `kind` names the event family (status, shipment;
    returns and issues add their own), `url` an outside link (a tracking page)."""

    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""


def _choice_label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label).lower()
    except ValueError:
        return code


def order_timeline(*, order: Order) -> list[TimelineEntry]:
    """The order's story, oldest first: its history (status changes, shipments, delivery) and
    each shipment's tracking link. Reads the prefetched `history` and `shipments` of `order_of`.

    Cancellations, issues and returns join with their history rows (each step, its label).
    """
    entries: list[TimelineEntry] = []
    for entry in order.history.all():
        if entry.change_type == "created":
            entries.append(TimelineEntry(at=entry.created_at, kind="created", title=str(_("Order placed"))))
        elif entry.field_name == "status":
            label = OrderState(entry.new_value).label if entry.new_value in OrderState.values else entry.new_value
            entries.append(TimelineEntry(at=entry.created_at, kind="status", title=str(label), detail=entry.reason))
        elif entry.change_type == "cancellation":
            step = _choice_label(CancellationStatus, entry.new_value)
            title = str(_("Cancellation: %(step)s") % {"step": step})
            entries.append(TimelineEntry(at=entry.created_at, kind="cancellation", title=title, detail=entry.reason))
        elif entry.change_type == "issue":
            step = _choice_label(IssueStatus, entry.new_value)
            title = str(_("Reported problem: %(step)s") % {"step": step})
            entries.append(TimelineEntry(at=entry.created_at, kind="issue", title=title, detail=entry.reason))
        elif entry.change_type == "return":
            step = _choice_label(ReturnStatus, entry.new_value)
            title = str(_("Return: %(step)s") % {"step": step})
            entries.append(TimelineEntry(at=entry.created_at, kind="return", title=title, detail=entry.reason))
    for shipment in order.shipments.all():
        entries.append(
            TimelineEntry(
                at=shipment.shipped_at,
                kind="shipment",
                title=str(_("Shipped with %(carrier)s") % {"carrier": shipment.carrier.name}),
                detail=str(_("Tracking number %(number)s") % {"number": shipment.tracking_number}),
                url=shipment.tracking_url,
            )
        )
        if shipment.delivered_at:
            entries.append(
                TimelineEntry(
                    at=shipment.delivered_at,
                    kind="delivered",
                    title=str(_("Parcel delivered")),
                    detail=shipment.tracking_number,
                )
            )
    return sorted(entries, key=lambda e: e.at)


# --- Returns (RMA) ---------------------------------------------------------------------------


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
    items = list(order_items_with_delivery(order=order))
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


# --- render speed (issue 12) ------------------------------------------------------------------


def orders_for_history_page(*, user: User) -> QuerySet[Order]:
    """A customer's orders for the order history page, newest first: only the columns it shows. A
    column the page starts to show belongs in `only()` here, or every row reads it with a query
    of its own (tests/orders pin the count). The page reads them as `HistoryOrders`, with their lines."""
    return _history_orders(customer_id=user.pk)


def _history_orders(*, customer_id: int) -> QuerySet[Order]:
    return (
        Order.objects.filter(customer_id=customer_id)
        .select_related("status")
        .only("order_number", "created_at", "status_id", "status__name", "total_amount", "currency")
        .order_by("-id")
    )


# The history's count, read on its own only when the page asked for is past the end (otherwise
# the page's statement brings it): compiled once per worker (common/prepared.py).
# (Typed Any: the count's row is a dict.)
_HISTORY_COUNT: PreparedQuery[Any] = PreparedQuery(
    lambda customer_id: (
        Order.objects.filter(customer_id=customer_id).values("customer_id").annotate(orders=Count("id")).order_by()
    )
)


class HistoryLine(NamedTuple):
    """One line of an order as the history shows it."""

    quantity: int
    product_title: str


def _history_page_with_lines(customer_id: int) -> QuerySet[Order]:
    """The history's orders with `line_rows` (each order's lines in the order they were placed,
    as JSON objects) and `orders_in_all` (the customer's count: PostgreSQL computes the
    uncorrelated subquery once per statement)."""
    lines = (
        OrderItem.objects.filter(order_id=OuterRef("pk"))
        .order_by("id")
        .values(row=JSONObject(quantity="quantity", product_title="product_title"))
    )
    count = (
        Order.objects.filter(customer_id=customer_id)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return _history_orders(customer_id=customer_id).annotate(
        line_rows=ArraySubquery(lines), orders_in_all=Subquery(count)
    )


# A page of the history, read on every history page in ONE statement: its orders with their
# status and lines, and the customer's count (the paginator's length). Compiled once per worker
# (common/prepared.py: building the statement through the ORM cost more than running it). A page's
# bounds are in its statement (LIMIT and OFFSET), so each page has its own (a last page shorter
# than the others reads a full page's bounds: one statement per page number, not per customer's
# count); the most recently used are kept, as psycopg keeps a connection's prepared statements.
@functools.lru_cache(maxsize=64)
def _history_page(start: int, stop: int) -> PreparedQuery[Order]:
    return PreparedQuery(lambda customer_id: _history_page_with_lines(customer_id=customer_id)[start:stop])


class HistoryOrders(PagedRows[Order]):
    """`orders_for_history_page` as the page's `Paginator` reads it, each order with its
    `history_lines` (`HistoryLine`s). `per_page`: the paginator's; `page`: the page number the
    request asks for (as sent), whose statement brings the count with the rows, so a page inside
    the history costs one statement; past the end, the count and the last page are read apart."""

    def __init__(self, *, user: User, per_page: int, page: Any = 1) -> None:
        self._customer_id: int = user.pk
        self._per_page = per_page
        try:
            number = int(page)
        except (TypeError, ValueError):
            number = 1  # what Paginator.get_page shows for a page that is not a number
        self._first_read = max(number - 1, 0) * per_page if 0 < number < 10**6 else 0
        self._read: tuple[int, int, list[Order]] | None = None

    def __len__(self) -> int:
        rows = self._page_read(self._first_read, self._first_read + self._per_page)
        if rows:
            return int(rows[0].orders_in_all)  # type: ignore[attr-defined]  # annotated above
        found = _HISTORY_COUNT.run(customer_id=self._customer_id)
        return int(found[0]["orders"]) if found else 0

    def _rows(self, start: int, stop: int) -> list[Order]:
        size = max(stop - start, self._per_page)
        return self._page_read(start, start + size)[: stop - start]

    def _page_read(self, start: int, stop: int) -> list[Order]:
        if self._read is not None and self._read[:2] == (start, stop):
            return self._read[2]
        rows = _history_page(start, stop).run(customer_id=self._customer_id)
        for order in rows:
            order.history_lines = [HistoryLine(**line) for line in order.line_rows]  # type: ignore[attr-defined]
        self._read = (start, stop, rows)
        return rows


# --- card payments (issue 14) -------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentDue:
    """Where a card order's payment stands, for its pages: until when its stock is held (None
    once nothing is held) and its newest payment (None before the first attempt)."""

    held_until: dt.datetime | None
    latest: Payment | None

    @property
    def expired(self) -> bool:
        return self.held_until is not None and self.held_until <= timezone.now()

    @property
    def in_flight(self) -> bool:
        """Whether the newest payment may still take the money (then there is nothing to pay again)."""
        return self.latest is not None and self.latest.status in IN_FLIGHT_PAYMENT_STATES


def order_payment_due(*, order: Order) -> PaymentDue:
    """How a pending order's payment stands (reads the `payments` prefetched by `order_of`; one
    query for the held stock's deadline)."""
    held_until = (
        StockReservation.objects.filter(order_id=order.pk, status=ReservationStatus.HELD)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    payments = list(order.payments.all())
    return PaymentDue(held_until=held_until, latest=max(payments, key=lambda p: p.pk) if payments else None)


@dataclass(frozen=True)
class CardChoice:
    """One of the customer's saved cards, as the pay forms offer it (an expired one is shown, not usable)."""

    method: PaymentMethod
    usable: bool


def cards_to_pay_with(*, user: User) -> list[CardChoice]:
    """The customer's saved cards (`payments.selectors.payment_methods_of`: the default first,
    then the newest), each with whether it can pay now (one query)."""
    return [
        CardChoice(method=method, usable=payment_method_usable(method, user=user))
        for method in payment_methods_of(user=user)
    ]
