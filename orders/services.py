"""Checkout, cancellation, status changes and the sales rollup.

Lock order, the same in every service that takes more than one lock, so no two can deadlock:
cart row (checkout from the cart) -> order row -> issued coupon -> inventory rows (by primary
key) -> wallet -> order-number counter (checkout's order row is its own new row, which nobody
else can wait for). No call to anything outside the database happens while these locks are
held; notifications are written as pending rows and sent after commit.
"""

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from carts.exceptions import CartEmptyError
from carts.services import cart_lock_for_checkout, cart_mark_completed
from catalog.models import ProductStatus, ProductVariant, VariantStatus
from common.exceptions import DomainError, IdempotencyKeyReuseError, InvalidTransitionError, NotFoundError
from common.limits import line_quantity
from common.money import ZERO, money
from inventory.services import StockRequest, stock_plan, stock_return_for_order_items, stock_take
from payments.models import Payment, PaymentStatus
from payments.services import payment_record_wallet_capture, payment_refund, wallet_debit
from promotions.services import issued_coupon_lock_for_use, issued_coupon_mark_used, issued_coupon_release

from .cache import popular_products_changed
from .exceptions import InvalidOrderError, OrderNotCancellableError, ProductUnavailableError, SalesDayNotOverError
from .models import (
    CANCELLABLE_BY_CUSTOMER,
    SOLD_STATES,
    TRANSITIONS,
    DeliveryStatus,
    NotificationKind,
    Order,
    OrderHistory,
    OrderItem,
    OrderNotification,
    OrderState,
    ProductDailySales,
    ProductSaleStat,
)
from .numbering import order_number_assign

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderLine:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False when an Idempotency-Key replayed an earlier order


def normalize_lines(raw_lines: list[dict[str, Any]] | list[OrderLine]) -> list[OrderLine]:
    """Validate and merge order lines: whole quantities from 1 to the per-line maximum."""
    if not raw_lines:
        raise InvalidOrderError(_("Choose at least one item."))
    if len(raw_lines) > settings.ORDER_MAX_LINES:
        raise InvalidOrderError(_("An order can have at most %(n)d lines.") % {"n": settings.ORDER_MAX_LINES})
    merged: dict[int, int] = {}
    for raw in raw_lines:
        variant_id = raw.variant_id if isinstance(raw, OrderLine) else raw.get("variant_id")
        quantity = raw.quantity if isinstance(raw, OrderLine) else raw.get("quantity")
        if isinstance(variant_id, bool) or not isinstance(variant_id, int) or variant_id <= 0:
            raise InvalidOrderError(_("Each line needs a valid variant."))
        quantity = line_quantity(quantity, error=InvalidOrderError)
        merged[variant_id] = line_quantity(merged.get(variant_id, 0) + quantity, error=InvalidOrderError)
    return [OrderLine(variant_id=v, quantity=q) for v, q in sorted(merged.items())]


def _fingerprint(lines: list[OrderLine], coupon_ref: int | None) -> str:
    body = json.dumps({"lines": [[line.variant_id, line.quantity] for line in lines], "coupon": coupon_ref})
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(*, user: User, idempotency_key: str, fingerprint: str) -> Order | None:
    existing = Order.objects.filter(customer=user, idempotency_key=idempotency_key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReuseError()
    return existing


def order_place(
    *,
    user: User,
    lines: list[dict[str, Any]] | list[OrderLine],
    coupon_ref: int | None = None,
    idempotency_key: str | None = None,
    special_instructions: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> PlacedOrder:
    """Order and pay from the wallet in one transaction, or change nothing.

    Stock taken, coupon used, wallet debited with its ledger row, payment recorded, order paid,
    sale stats written, confirmation queued. The same Idempotency-Key returns the first order;
    the same key with a different request is an IdempotencyKeyReuseError.

    Raises InvalidOrderError, ProductUnavailableError, InsufficientStockError,
    CouponNotUsableError, InsufficientBalanceError, IdempotencyKeyReuseError.
    """
    normalized = normalize_lines(lines)
    idempotency_key = (idempotency_key or "").strip()[:255] or None
    fingerprint = _fingerprint(normalized, coupon_ref)
    # No look for an earlier order first: the key's unique index finds it (a repeat of a placed
    # order fails its insert at once; a concurrent twin waits there for the first to commit),
    # so a first request, by far the most common, costs no extra read.
    try:
        order = _order_place_atomic(
            user=user,
            lines=normalized,
            coupon_ref=coupon_ref,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            special_instructions=special_instructions,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    except (IntegrityError, DomainError):
        # The same key placed an order already (the unique index refused this one, or it was
        # refused before it got there, e.g. its stock went to that order): answer with it.
        if idempotency_key and (
            earlier := _replay(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
        ):
            return PlacedOrder(order=earlier, created=False)
        raise
    return PlacedOrder(order=order, created=True)


def order_place_from_cart(
    *,
    user: User,
    coupon_ref: int | None = None,
    idempotency_key: str | None = None,
    special_instructions: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> PlacedOrder:
    """Order everything in the customer's cart and close the cart, in one transaction.

    The cart row is locked first, so a double-submitted checkout waits, then finds the cart
    closed and answers with the order its key made. Any refusal changes nothing, the cart
    included. Raises CartEmptyError and whatever `order_place` raises.
    """
    key = (idempotency_key or "").strip()[:255] or None
    try:
        with transaction.atomic():
            cart, items = cart_lock_for_checkout(user=user)
            placed = order_place(
                user=user,
                lines=[OrderLine(variant_id=item.variant_id, quantity=item.quantity) for item in items],
                coupon_ref=coupon_ref,
                idempotency_key=key,
                special_instructions=special_instructions,
                ip_address=ip_address,
                user_agent=user_agent,
            )
            if placed.created:
                cart_mark_completed(cart=cart)
            return placed
    except CartEmptyError:
        if key and (earlier := Order.objects.filter(customer=user, idempotency_key=key).first()):
            return PlacedOrder(order=earlier, created=False)
        raise


def _order_place_atomic(
    *,
    user: User,
    lines: list[OrderLine],
    coupon_ref: int | None,
    idempotency_key: str | None,
    fingerprint: str,
    special_instructions: str,
    ip_address: str | None,
    user_agent: str,
) -> Order:
    now = timezone.now()
    with transaction.atomic():
        # Reads first, no lock: an order that cannot be served (a sold-out flash sale's many late
        # comers) is refused before anything is written.
        variants = {
            v.pk: v
            for v in ProductVariant.objects.select_related("product").filter(
                pk__in=[line.variant_id for line in lines],
                status=VariantStatus.ACTIVE,
                product__status=ProductStatus.ACTIVE,
                product__deleted_at__isnull=True,
            )
        }
        missing = [line.variant_id for line in lines if line.variant_id not in variants]
        if missing:
            raise ProductUnavailableError(extra={"variant_ids": missing})
        plan = stock_plan(requests=[StockRequest(variant_id=line.variant_id, quantity=line.quantity) for line in lines])

        line_totals = {line.variant_id: money(variants[line.variant_id].price * line.quantity) for line in lines}
        subtotal = money(sum(line_totals.values(), ZERO))
        issued = None
        discount = ZERO
        if coupon_ref is not None:
            # The customer's own coupon: locked, but no other customer queues on it (a concurrent
            # twin of this request waits here, then finds it used and answers with this order).
            issued, discount = issued_coupon_lock_for_use(coupon_ref=coupon_ref, user=user, subtotal=subtotal)

        # The first write, paid in full as the transaction commits or not at all: a concurrent
        # twin with the same key waits here on the unique index.
        order = Order.objects.create(
            customer=user,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            currency=settings.SHOP_CURRENCY,
            special_instructions=special_instructions[:2000],
            status_id=OrderState.PAID,
            paid_at=now,
            subtotal=subtotal,
            discount_amount=discount,
            total_amount=money(subtotal - discount),  # no shipping or tax yet (both 0.00)
            issued_coupon=issued,
        )
        items = OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=variants[line.variant_id].product,
                    variant=variants[line.variant_id],
                    seller_id=variants[line.variant_id].product.seller_id,
                    product_title=variants[line.variant_id].product.title,
                    variant_name=variants[line.variant_id].name,
                    sku=variants[line.variant_id].sku,
                    quantity=line.quantity,
                    unit_price=variants[line.variant_id].price,
                    total_price=line_totals[line.variant_id],
                    currency=order.currency,
                    weight_kg=variants[line.variant_id].weight_kg,
                    color=variants[line.variant_id].color,
                    size=variants[line.variant_id].size,
                    material=variants[line.variant_id].material,
                )
                for line in lines
            ]
        )

        # Rows that take no lock are written before the first shared lock: the stock and wallet
        # rows (and the order-number counter) stay locked only for the statements that need
        # them. If anything below fails, the transaction drops these rows with the rest.
        ProductSaleStat.objects.bulk_create(
            [
                ProductSaleStat(product_id=item.product_id, order_item=item, quantity=item.quantity, date=now.date())
                for item in items
            ]
        )
        OrderHistory.objects.bulk_create(
            [
                OrderHistory(
                    order=order,
                    actor=user,
                    change_type="created",
                    new_value=OrderState.PENDING,
                    ip_address=ip_address,
                    user_agent=user_agent[:512],
                ),
                OrderHistory(
                    order=order,
                    actor=user,
                    previous_value=OrderState.PENDING,
                    new_value=OrderState.PAID,
                    reason="Paid from wallet",
                    ip_address=ip_address,
                    user_agent=user_agent[:512],
                ),
            ]
        )
        # The order is new in this transaction, so its notification is too: a plain insert.
        notification = OrderNotification.objects.create(
            order=order, kind=NotificationKind.CONFIRMATION, recipient=user.email
        )
        if issued is not None:
            issued_coupon_mark_used(issued=issued, order_id=order.pk)
        payment_record_wallet_capture(user=user, order_id=order.pk, amount=order.total_amount, currency=order.currency)

        # Now the rows other checkouts queue on, the most shared last, each held from its first
        # statement to the commit: the variants' stock, the wallet, the order-number counter.
        stock_take(
            requests=[
                StockRequest(variant_id=item.variant_id, quantity=item.quantity, order_item_id=item.pk)
                for item in items
            ],
            reference=f"order:{order.pk}",
            actor=user,
            plan=plan,
        )
        if order.total_amount > ZERO:
            wallet_debit(user=user, amount=order.total_amount, order_id=order.pk, reference=f"order:{order.pk}")
        order.order_number = order_number_assign(order_id=order.pk, year=now.year)  # last: see orders.numbering
    _attach_lines(order, items)
    _notification_send_after_commit(notification)
    return order


def _attach_lines(order: Order, items: list[OrderItem]) -> None:
    """Hand the order back as `prefetch_related("items")` would, so showing it costs no query.

    The same private fields Django's own prefetch fills: `order.items.all()` is these lines,
    and any other query on `order.items` still goes to the database.
    """
    lines = order.items.all()
    lines._result_cache = items  # type: ignore[attr-defined]
    lines._prefetch_done = True  # type: ignore[attr-defined]
    order._prefetched_objects_cache = {"items": lines}  # type: ignore[attr-defined]


def _notification_queue(*, order: Order, kind: str, recipient: str) -> OrderNotification:
    notification, _created = OrderNotification.objects.get_or_create(
        order=order, kind=kind, defaults={"recipient": recipient}
    )
    return notification


def _notification_send_after_commit(notification: OrderNotification) -> None:
    from .tasks import order_notification_send_task

    # robust: a broker outage must not turn a committed order into an error page; the row
    # stays pending and `order_notifications_resend_task` sends it later.
    transaction.on_commit(lambda: order_notification_send_task.delay(notification.pk), robust=True)


def _customer_order_for_update(*, order_id: int, user: User, as_staff: bool) -> Order:
    orders = Order.objects.select_for_update()
    if not as_staff:
        orders = orders.filter(customer=user)  # another customer's order does not exist for you
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFoundError(_("No such order."))
    return order


def _transition(order: Order, to: str, *, actor: User | None, reason: str) -> None:
    current = str(order.status_id)
    if to not in TRANSITIONS[OrderState(current)]:
        raise InvalidTransitionError(
            _("An order that is %(current)s cannot become %(to)s.")
            % {"current": OrderState(current).label, "to": OrderState(to).label},
            extra={"from": current, "to": to},
        )
    order.status_id = to
    OrderHistory.objects.create(order=order, actor=actor, previous_value=current, new_value=to, reason=reason[:255])


def order_transition(*, order_id: int, to: str, actor: User, reason: str = "") -> Order:
    """Staff moves an order along (processing, shipped, delivered). Cancelling has its own service."""
    if to in (OrderState.CANCELLED, OrderState.REFUNDED):
        raise InvalidTransitionError(_("Use cancel to cancel an order."))
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=actor, as_staff=True)
        _transition(order, to, actor=actor, reason=reason)
        order.save(update_fields=["status", "updated_at"])
    return order


def order_cancel(*, order_id: int, user: User, reason: str = "", as_staff: bool = False) -> Order:
    """Cancel a paid order before it ships: stock back, wallet refunded, coupon usable again.

    A customer can cancel only their own order (another's is NotFoundError). Raises
    OrderNotCancellableError once the order has shipped.
    """
    reason = reason.strip() or ("Cancelled by staff" if as_staff else "Cancelled by customer")
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=user, as_staff=as_staff)
        if order.status_id not in CANCELLABLE_BY_CUSTOMER:
            raise OrderNotCancellableError(extra={"status": order.status_id})
        if order.issued_coupon_id:
            issued_coupon_release(issued_coupon_id=order.issued_coupon_id, order_id=order.pk)
        item_ids = list(order.items.values_list("pk", flat=True))
        stock_return_for_order_items(order_item_ids=item_ids, reference=f"order:{order.pk}", reason=reason, actor=user)
        # A partly refunded payment still holds money of this order: give back what is left of it.
        refundable_states = [PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED]
        for payment in Payment.objects.filter(order=order, status__in=refundable_states).order_by("pk"):
            refundable = payment.amount - payment.refunded_amount
            if refundable > ZERO:
                payment_refund(
                    payment_id=payment.pk, amount=refundable, reason=reason, actor=user, reference=f"order:{order.pk}"
                )
        # The reversal is dated on the day of the sale, so live stats and the daily rollup
        # (which counts orders by the day they were paid) always agree.
        sale_day = (order.paid_at or timezone.now()).date()
        ProductSaleStat.objects.bulk_create(
            [
                ProductSaleStat(product_id=item.product_id, order_item=item, quantity=-item.quantity, date=sale_day)
                for item in order.items.all()
            ]
        )
        _daily_sales_take_back(order_id=order.pk, day=sale_day)
        popular_products_changed()  # after commit
        _transition(order, OrderState.CANCELLED, actor=user, reason=reason)
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        notification = _notification_queue(
            order=order, kind=NotificationKind.CANCELLATION, recipient=order.customer.email
        )
    _notification_send_after_commit(notification)
    return order


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


# A claimed notification whose worker never said how it went (killed between the send and the
# record): sent again after this long, so a message is never lost, at the price of a rare second copy.
NOTIFICATION_CLAIM_TIMEOUT = dt.timedelta(minutes=10)
# How long a worker keeps trying to record a sent message while the database is away.
NOTIFICATION_RECORD_SECONDS = 60


def order_notification_send(*, notification_id: int) -> bool:
    """Send one pending notification; True if it was sent now. Safe to run twice.

    Three steps, so a mail is never sent twice because a commit failed: the row is claimed
    (`sending`) in a transaction of its own, the mail goes out with no transaction or lock
    open, and then the row is marked `sent`, retried while the database is away (the mail is
    out: only the record is missing). A failed send marks the row `failed` for the retry.
    """
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    with transaction.atomic():
        notification = (
            # Only the notification row: locking the order too would make a concurrent
            # cancel wait, or make this send skip a row it should send.
            OrderNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order")
            .filter(pk=notification_id)
            .filter(_claimable_notifications())
            .first()
        )
        if notification is None:
            return False  # already sent, or another worker has it right now
        notification.status = DeliveryStatus.SENDING
        notification.attempts += 1
        notification.save(update_fields=["status", "attempts", "updated_at"])
    order = notification.order
    context = {"order": order, "items": list(order.items.all()), "notification": notification}
    subject = {
        NotificationKind.CONFIRMATION: _("Your order %(number)s is confirmed"),
        NotificationKind.CANCELLATION: _("Your order %(number)s is cancelled"),
    }[NotificationKind(notification.kind)] % {"number": order.order_number}
    try:
        send_mail(
            subject, render_to_string(f"orders/email/{notification.kind}.txt", context), None, [notification.recipient]
        )
    except Exception as exc:
        OrderNotification.objects.filter(pk=notification.pk).update(
            status=DeliveryStatus.FAILED, last_error=f"{exc.__class__.__name__}: {exc}"[:255], updated_at=timezone.now()
        )
        raise
    _notification_record_sent(notification_id=notification.pk)
    return True


def _claimable_notifications() -> Q:
    stale = timezone.now() - NOTIFICATION_CLAIM_TIMEOUT
    return Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]) | Q(
        status=DeliveryStatus.SENDING, updated_at__lt=stale
    )


def _notification_record_sent(*, notification_id: int) -> None:
    deadline = time.monotonic() + NOTIFICATION_RECORD_SECONDS
    pause = 0.5
    while True:
        try:
            now = timezone.now()
            OrderNotification.objects.filter(pk=notification_id).update(
                status=DeliveryStatus.SENT, sent_at=now, last_error="", updated_at=now
            )
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise  # the row stays `sending`; it is sent again after NOTIFICATION_CLAIM_TIMEOUT
            logger.warning("Notification %s was sent; the database is away, recording it again", notification_id)
            connection.close()  # the next query opens a fresh connection
            time.sleep(pause)
            pause = min(pause * 2, 5)


def order_notifications_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=1)) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        OrderNotification.objects.filter(_claimable_notifications(), created_at__lt=cutoff, attempts__lt=10)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )


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
