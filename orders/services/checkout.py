"""Checkout: order and pay from the wallet in one transaction, from a list of lines or the cart.

Lock order (see the package's docstring): cart row -> order row -> issued coupon -> inventory
rows (by primary key) -> wallet -> order-number counter.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from carts.exceptions import CartEmptyError
from carts.services import cart_lock_for_checkout, cart_mark_completed
from catalog.models import ProductStatus, ProductVariant, VariantStatus
from common.exceptions import DomainError, IdempotencyKeyReuseError
from common.limits import line_quantity
from common.money import ZERO, money
from inventory.services import StockRequest, stock_plan, stock_take
from payments.services import payment_record_wallet_capture, wallet_debit
from promotions.services import issued_coupon_lock_for_use, issued_coupon_mark_used

from ..exceptions import InvalidOrderError, ProductUnavailableError
from ..models import NotificationKind, Order, OrderHistory, OrderItem, OrderState, ProductSaleStat
from ..numbering import order_number_assign
from .notifications import _notification_queue


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
        _notification_queue(order=order, kind=NotificationKind.CONFIRMATION, first=True)
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
