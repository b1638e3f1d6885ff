"""Checkout: order and pay from the wallet in one transaction, from a list of lines or the cart;
or order now and pay by card next (`orders.services.payment`), the stock held meanwhile.

Lock order (see the package's docstring): cart row -> order row -> issued coupon -> inventory
rows (by primary key) -> wallet -> order-number counter.

What the order costs (shipping, tax, the total) is `quote.quote_compute`'s answer, the same
function the cart page, the checkout page and `POST checkout/quote/` show.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from carts.abandonment import abandoned_cart_order_placed
from carts.exceptions import CartEmptyError
from carts.services import cart_lock_for_checkout, cart_mark_completed, cart_snapshot_checkout_attempt
from common.exceptions import DomainError
from common.idempotency import idempotency_key_clean, idempotent_replay, request_fingerprint
from common.limits import line_quantity
from common.money import ZERO, money
from inventory.reservations import stock_reserve
from inventory.services import StockPlan, StockRequest, stock_plan, stock_take
from payments.models import PaymentMethodType
from payments.services import payment_record_wallet_capture, wallet_debit
from promotions.models import IssuedCoupon
from promotions.services import issued_coupon_lock_for_use, issued_coupon_mark_used

from ..exceptions import InvalidOrderError
from ..models import NotificationKind, Order, OrderHistory, OrderItem, OrderState, ProductSaleStat, SnapshotReason
from ..numbering import order_number_assign
from ..pricing import pricing_rules
from .notifications import order_notification_queue
from .quote import PricedLine, Quote, lines_price, quote_compute, shipping_address_of
from .snapshots import order_snapshot_take

# How a checkout pays: from the wallet at once (the default, as ever), or by card afterwards.
CHECKOUT_PAYMENT_METHODS = (PaymentMethodType.WALLET, PaymentMethodType.CARD)


@dataclass(frozen=True)
class OrderLine:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    """What checkout hands back: the order, whether it is new, and a new order's lines as written.

    `lines` spares a caller that shows the new order a second read of its lines. A replay (an
    Idempotency-Key that placed an order before) has `created` False and `lines` None: its lines
    are read with the order, e.g. by `selectors.order_of`.
    """

    order: Order
    created: bool  # False when an Idempotency-Key replayed an earlier order
    lines: tuple[OrderItem, ...] | None = None


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


def _replay(*, user: User, idempotency_key: str, fingerprint: str) -> Order | None:
    earlier = Order.objects.filter(customer=user, idempotency_key=idempotency_key).first()
    return idempotent_replay(earlier, fingerprint=fingerprint)


def order_place(
    *,
    user: User,
    lines: list[dict[str, Any]] | list[OrderLine],
    coupon_ref: int | None = None,
    idempotency_key: str | None = None,
    special_instructions: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    shipping_address_id: int | None = None,
    payment_method: str = PaymentMethodType.WALLET,
) -> PlacedOrder:
    """Order and pay from the wallet in one transaction, or change nothing.

    Delivered to the customer's address `shipping_address_id`, or to their primary address when
    it is None; the address is copied onto the order, and shipping and tax are the quote's. Stock
    taken, coupon used, wallet debited with its ledger row, payment recorded, order paid, sale
    stats written, confirmation queued. The same Idempotency-Key returns the first order;
    the same key with a different request is an IdempotencyKeyReuseError.

    `payment_method="card"`: the order waits for its payment ("Pending payment"): its stock is
    held by reservations until now + STOCK_RESERVATION_MINUTES, the coupon is used, nothing is
    paid yet; `order_pay` charges a card, and the payment's capture makes it paid (sale stats,
    confirmation). An order that costs nothing is paid at once whatever the method.

    Raises InvalidOrderError, ProductUnavailableError, InsufficientStockError,
    CouponNotUsableError, InsufficientBalanceError, IdempotencyKeyReuseError,
    AddressRequiredError, ShippingAddressInvalidError.
    """
    normalized = normalize_lines(lines)
    if payment_method not in CHECKOUT_PAYMENT_METHODS:
        raise InvalidOrderError(_("Choose how to pay: the shop wallet or a card."))
    idempotency_key = idempotency_key_clean(idempotency_key)
    # The address (and a card payment) is part of the request only when named, so a key used
    # before they existed (or one that relies on the primary address) keeps its fingerprint.
    named_address = {} if shipping_address_id is None else {"address": shipping_address_id}
    by_card = {"pay": "card"} if payment_method == PaymentMethodType.CARD else {}
    fingerprint = request_fingerprint(
        "order_place",
        lines=[[line.variant_id, line.quantity] for line in normalized],
        coupon=coupon_ref,
        **named_address,
        **by_card,
    )
    # No look for an earlier order first: the key's unique index finds it (a repeat of a placed
    # order fails its insert at once; a concurrent twin waits there for the first to commit),
    # so a first request, by far the most common, costs no extra read.
    try:
        order, items = _order_place_atomic(
            user=user,
            lines=normalized,
            coupon_ref=coupon_ref,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            special_instructions=special_instructions,
            ip_address=ip_address,
            user_agent=user_agent,
            shipping_address_id=shipping_address_id,
            by_card=bool(by_card),
        )
    except (IntegrityError, DomainError):
        # The same key placed an order already (the unique index refused this one, or it was
        # refused before it got there, e.g. its stock went to that order): answer with it.
        if idempotency_key and (
            earlier := _replay(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
        ):
            return PlacedOrder(order=earlier, created=False)
        raise
    return PlacedOrder(order=order, created=True, lines=tuple(items))


def order_place_from_cart(
    *,
    user: User,
    coupon_ref: int | None = None,
    idempotency_key: str | None = None,
    special_instructions: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    shipping_address_id: int | None = None,
    payment_method: str = PaymentMethodType.WALLET,
) -> PlacedOrder:
    """Order everything in the customer's cart and close the cart, in one transaction.

    The cart row is locked first, so a double-submitted checkout waits, then finds the cart
    closed and answers with the order its key made. Any refusal changes nothing, the cart
    included. Raises CartEmptyError and whatever `order_place` raises.
    """
    key = idempotency_key_clean(idempotency_key)
    cart_snapshot_checkout_attempt(user=user)  # kept even when the attempt below is refused
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
                shipping_address_id=shipping_address_id,
                payment_method=payment_method,
            )
            if placed.created:
                cart_mark_completed(cart=cart)
                # An abandoned cart ordered after all: converted, with the order's total (one UPDATE).
                abandoned_cart_order_placed(cart=cart, order=placed.order)
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
    shipping_address_id: int | None,
    by_card: bool = False,
) -> tuple[Order, list[OrderItem]]:
    """Place the order in one transaction, taking the locks in the order of the package docstring.

    Returns the order and its lines, in the order of `lines`. `by_card`: see `_card_order_finish`.
    """
    now = timezone.now()
    with transaction.atomic():
        # Reads first, no lock: an order that cannot be served (a sold-out flash sale's many late
        # comers) is refused before anything is written.
        priced = lines_price(lines)
        address = shipping_address_of(customer=user, address_id=shipping_address_id)
        rules = pricing_rules()
        plan = stock_plan(
            requests=[StockRequest(variant_id=line.variant.pk, quantity=line.quantity) for line in priced]
        )
        subtotal = money(sum((line.total for line in priced), ZERO))
        issued = None
        discount = ZERO
        if coupon_ref is not None:
            # The customer's own coupon: locked, but no other customer queues on it (a concurrent
            # twin of this request waits here, then finds it used and answers with this order).
            issued, discount = issued_coupon_lock_for_use(coupon_ref=coupon_ref, user=user, subtotal=subtotal)
        quote = quote_compute(
            lines=priced, discount=discount, address=address, currency=settings.SHOP_CURRENCY, rules=rules
        )
        awaits_payment = by_card and quote.total > ZERO  # nothing to pay: paid now, as from the wallet

        # The first write, paid in full as the transaction commits or not at all: a concurrent
        # twin with the same key waits here on the unique index.
        order = Order.objects.create(
            customer=user,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
            currency=settings.SHOP_CURRENCY,
            special_instructions=special_instructions[:2000],
            status_id=OrderState.PENDING if awaits_payment else OrderState.PAID,
            paid_at=None if awaits_payment else now,
            issued_coupon=issued,
            **_order_amounts(quote),
        )
        items = _order_items_create(order=order, lines=priced)
        if awaits_payment:
            _card_order_finish(
                order=order,
                items=items,
                issued=issued,
                plan=plan,
                now=now,
                ip_address=ip_address,
                user_agent=user_agent,
            )
            return order, items

        # Rows that take no lock are written before the first shared lock: the stock and wallet
        # rows (and the order-number counter) stay locked only for the statements that need
        # them. If anything below fails, the transaction drops these rows with the rest.
        _sale_stats_write(items=items, day=now.date())
        _history_write_placed(order=order, actor=user, ip_address=ip_address, user_agent=user_agent)
        # Confirmed (paid) as it is placed: the order as bought, before the contended rows.
        order_snapshot_take(order=order, reason=SnapshotReason.CONFIRMATION, items=items)
        # The order is new in this transaction, so its notification is too: a plain insert.
        order_notification_queue(order=order, kind=NotificationKind.CONFIRMATION, first=True)
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
    return order, items


def _card_order_finish(
    *,
    order: Order,
    items: list[OrderItem],
    issued: IssuedCoupon | None,
    plan: StockPlan,
    now: dt.datetime,
    ip_address: str | None,
    user_agent: str,
) -> None:
    """The rest of a new order that waits for a card payment, in checkout's transaction and lock
    order: the coupon is used now (given back if the order is released), the stock is held until
    the reservation expires, and no money moves. What a paid order has besides (sale stats, the
    confirmation snapshot and message) comes with its payment (`orders.services.payment`).
    """
    OrderHistory.objects.create(
        order=order,
        actor=order.customer,
        change_type="created",
        new_value=OrderState.PENDING,
        reason="Awaiting card payment",
        ip_address=ip_address,
        user_agent=user_agent[:512],
    )
    if issued is not None:
        issued_coupon_mark_used(issued=issued, order_id=order.pk)
    stock_reserve(
        requests=[
            StockRequest(variant_id=item.variant_id, quantity=item.quantity, order_item_id=item.pk) for item in items
        ],
        order_id=order.pk,
        expires_at=now + dt.timedelta(minutes=settings.STOCK_RESERVATION_MINUTES),
        plan=plan,
    )
    order.order_number = order_number_assign(order_id=order.pk, year=now.year)  # last: see orders.numbering


def _order_amounts(quote: Quote) -> dict[str, Any]:
    """The order's money columns and its delivery address, copied from the quote."""
    address = quote.address
    assert address is not None  # checkout always quotes for an address
    return {
        "subtotal": quote.subtotal,
        "discount_amount": quote.discount,
        "shipping_cost": quote.shipping,
        "tax_amount": quote.tax,
        "tax_rate": quote.tax_rate,
        "total_amount": quote.total,
        "shipping_name": address.recipient_name,
        "shipping_line1": address.street_address,
        "shipping_line2": address.street_address_line2,
        "shipping_city": address.city,
        "shipping_region": address.state,
        "shipping_postal_code": address.postal_code,
        "shipping_country": str(address.country),
        "shipping_phone": address.phone,
    }


def _order_items_create(*, order: Order, lines: list[PricedLine]) -> list[OrderItem]:
    """The order's lines, copying what the variant is and costs today (one statement)."""
    return OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                product=line.variant.product,
                variant=line.variant,
                seller_id=line.variant.product.seller_id,
                product_title=line.variant.product.title,
                variant_name=line.variant.name,
                sku=line.variant.sku,
                quantity=line.quantity,
                unit_price=line.variant.price,
                total_price=line.total,
                currency=order.currency,
                weight_kg=line.variant.weight_kg,
                color=line.variant.color,
                size=line.variant.size,
                material=line.variant.material,
            )
            for line in lines
        ]
    )


def _sale_stats_write(*, items: list[OrderItem], day: dt.date) -> None:
    """Count the lines in the live sale stats of `day` (one statement)."""
    ProductSaleStat.objects.bulk_create(
        [
            ProductSaleStat(product_id=item.product_id, order_item=item, quantity=item.quantity, date=day)
            for item in items
        ]
    )


def _history_write_placed(*, order: Order, actor: User, ip_address: str | None, user_agent: str) -> None:
    """The order's first two history rows, created then paid (one statement)."""
    OrderHistory.objects.bulk_create(
        [
            OrderHistory(
                order=order,
                actor=actor,
                change_type="created",
                new_value=OrderState.PENDING,
                ip_address=ip_address,
                user_agent=user_agent[:512],
            ),
            OrderHistory(
                order=order,
                actor=actor,
                previous_value=OrderState.PENDING,
                new_value=OrderState.PAID,
                reason="Paid from wallet",
                ip_address=ip_address,
                user_agent=user_agent[:512],
            ),
        ]
    )
