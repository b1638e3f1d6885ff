"""Orders paid by card: what a card payment's outcome does to its order, and the release of
orders whose payment did not come in time.

A card order is placed PENDING with its stock held (`checkout`, `inventory.reservations`). Its
payment's capture makes it paid (`order_payment_captured`, a receiver of
`payments.signals.payment_captured`); a decline leaves it pending, so the customer can try
another card (`order_payment_failed`); past the reservation's deadline `orders_release_expired`
gives the stock back and cancels it. Every one of these locks the order row first, so the expiry
and a late payment of the same order are serialized: whichever comes second sees what the first
did. A payment that arrives for an order already released is refunded in full.

Lock order: the order row first, always (the payment services lock it before the payment, and
the receivers run inside that transaction); then the issued coupon and the inventory rows (by
primary key), as at checkout. A receiver locks inventory rows after the payment row, but nobody
waits for a payment's row without holding its order's row first, so the two cannot deadlock.
No gateway is called while these locks are held: a payment still in flight when its order is
released is voided after the commit.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from common.idempotency import idempotency_key_clean, idempotent_replay, request_fingerprint
from inventory.models import ReservationStatus, StockReservation
from inventory.reservations import reservations_convert, reservations_release
from payments.logs import payment_log
from payments.models import (
    IN_FLIGHT_PAYMENT_STATES,
    LogLevel,
    Payment,
    PaymentPurpose,
    RefundDestination,
)
from payments.selectors import payment_method_to_pay
from payments.services import order_refund
from payments.services.card import card_payment_create, card_payment_run
from promotions.services import issued_coupon_release

from ..exceptions import OrderNotAwaitingPaymentError, PaymentTimeOverError
from ..models import ActorRole, NotificationKind, Order, OrderHistory, OrderItem, OrderState, SnapshotReason
from .checkout import _sale_stats_write
from .lifecycle import _customer_order_for_update, _transition
from .notifications import order_notification_queue
from .snapshots import order_snapshot_take

logger = logging.getLogger(__name__)

# What the order's history says, in the shop's words (staff read it; the customer sees the status).
PAID_BY_CARD = "Paid by card"
EXPIRED = "Payment not received in time"
LATE_PAYMENT = "Payment arrived after the order was released: refunded"


@dataclass(frozen=True)
class OrderPayment:
    """What `order_pay` hands back: the payment, and whether this call started it."""

    payment: Payment
    created: bool  # False: the same Idempotency-Key, or a payment already in flight, answered


def order_pay(
    *,
    user: User,
    order_id: int,
    payment_method_id: int,
    return_url: str,
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    device_fingerprint: str = "",
) -> OrderPayment:
    """Pay the customer's pending order with one of their saved cards.

    Under the order row's lock: the same Idempotency-Key answers with its payment (a different
    request with it is an IdempotencyKeyReuseError); a payment already in flight answers too (a
    double-clicked button charges once; the unique constraint on in-flight payments is the
    backstop); else the order must be pending with its stock still held, and a pending card
    payment is created. After the commit, with no lock held, the card is charged
    (`card_payment_run`): the payment comes back captured (the order is paid by then), waiting
    for the customer's confirmation (`action_url`), failed (`failure_message`), or still pending
    (a processor that did not answer: the retry task resolves it). `return_url` is where the
    confirmation step sends the customer back. `device_fingerprint` is for the fraud check.

    Raises NotFoundError (not the customer's order), OrderNotAwaitingPaymentError,
    PaymentTimeOverError, PaymentMethodNotFoundError (not one of their saved cards),
    CardExpiredError, PaymentMethodUnusableError, IdempotencyKeyReuseError.
    """
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint("order_pay", order=order_id, method=payment_method_id)
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=user, as_staff=False)
        if key is not None:
            earlier = Payment.objects.filter(user=user, idempotency_key=key).first()
            if (replayed := idempotent_replay(earlier, fingerprint=fingerprint)) is not None:
                return OrderPayment(payment=replayed, created=False)
        in_flight = Payment.objects.filter(order=order, status__in=IN_FLIGHT_PAYMENT_STATES).order_by("pk").first()
        if in_flight is not None:
            return OrderPayment(payment=in_flight, created=False)
        if order.status_id != OrderState.PENDING:
            raise OrderNotAwaitingPaymentError(extra={"status": str(order.status_id)})
        held = StockReservation.objects.filter(
            order_id=order.pk, status=ReservationStatus.HELD, expires_at__gt=timezone.now()
        ).exists()
        if not held:
            raise PaymentTimeOverError()
        # The customer's own saved card that can pay (another customer's does not exist for them).
        method = payment_method_to_pay(user=user, method_id=payment_method_id)
        payment = card_payment_create(
            user=user,
            amount=order.total_amount,
            purpose=PaymentPurpose.ORDER,
            payment_method=method,
            order_id=order.pk,
            idempotency_key=key,
            fingerprint=fingerprint,
            client_ip=ip_address,
        )
    charged = card_payment_run(
        payment_id=payment.pk, return_url=return_url, ip_address=ip_address, user_agent=user_agent
    )
    return OrderPayment(payment=charged, created=True)


def _order_locked(order_id: int) -> Order:
    # Already held when called from the payment's transaction (it locks the order row first).
    return Order.objects.select_for_update().select_related("customer").get(pk=order_id)


def order_payment_captured(*, payment: Payment) -> Order:
    """The money of an order's card payment is taken: a pending order is paid; an order that is
    no longer pending (released when its reservation expired) gets the payment back in full.

    Runs inside the transaction that recorded the capture (the `payment_captured` receiver),
    with the order row and the payment locked, so the order's expiry cannot run in between.
    """
    assert payment.order_id is not None
    with transaction.atomic(savepoint=False):
        order = _order_locked(payment.order_id)
        if order.status_id == OrderState.PENDING:
            _order_mark_paid(order, payment)
        else:
            _late_payment_refund(order, payment)
    return order


def _order_mark_paid(order: Order, payment: Payment) -> None:
    """Pending -> paid: the held stock becomes a sale, then what a wallet checkout writes for a
    paid order: the sale stats, the history row, the confirmation snapshot and message."""
    now = timezone.now()
    reservations_convert(order_id=order.pk, actor=order.customer)
    items = list(OrderItem.objects.filter(order_id=order.pk).order_by("id"))
    _sale_stats_write(items=items, day=now.date())
    order.paid_at = now
    _transition(
        order,
        OrderState.PAID,
        actor=order.customer,
        actor_role=ActorRole.CUSTOMER,
        reason=PAID_BY_CARD,
        also_update=("paid_at",),
    )
    order_snapshot_take(order=order, reason=SnapshotReason.CONFIRMATION, items=items)
    order_notification_queue(order=order, kind=NotificationKind.CONFIRMATION, context={"paid_by": "card"})
    payment_log(
        f"Order {order.order_number} paid",
        source="orders",
        payment=payment,
        initiated_by=order.customer,
        details={"order_id": order.pk},
    )


def _late_payment_refund(order: Order, payment: Payment) -> None:
    """A payment captured for an order that no longer waits for one: all of it goes back to the
    card it came from, through the order's refund cap (so it can never be given back twice)."""
    refunds = order_refund(
        order_id=order.pk,
        amount=payment.captured_amount or payment.amount,
        reason=LATE_PAYMENT,
        actor=None,
        destination=RefundDestination.ORIGINAL,
        reference=f"payment:{payment.pk}:late",
    )
    OrderHistory.objects.create(
        order=order,
        actor=None,
        actor_role=ActorRole.SYSTEM,
        change_type="payment",
        field_name=f"payment:{payment.pk}",
        previous_value=str(order.status_id),
        new_value="refunded",
        reason=LATE_PAYMENT,
    )
    payment_log(
        f"Payment captured for order {order.order_number}, which is {order.status_id}: refunded",
        source="orders",
        level=LogLevel.WARNING,
        payment=payment,
        details={"order_id": order.pk, "order_status": str(order.status_id), "refunds": [r.pk for r in refunds]},
    )


def order_payment_failed(*, payment: Payment) -> None:
    """An order's card payment will not take money (declined, refused at the confirmation step,
    blocked): the order stays pending, its stock held until the deadline, so the customer can pay
    with another card. The history keeps the attempt, for staff."""
    assert payment.order_id is not None
    OrderHistory.objects.create(
        order_id=payment.order_id,
        actor=None,
        actor_role=ActorRole.SYSTEM,
        change_type="payment",
        field_name=f"payment:{payment.pk}",
        new_value=str(payment.status),
        reason=(payment.failure_message or "Card payment failed")[:255],
    )


def _on_payment_captured(sender: object, payment: Payment, **kwargs: object) -> None:
    if payment.purpose == PaymentPurpose.ORDER and payment.order_id is not None:
        order_payment_captured(payment=payment)


def _on_payment_failed(sender: object, payment: Payment, **kwargs: object) -> None:
    if payment.purpose == PaymentPurpose.ORDER and payment.order_id is not None:
        order_payment_failed(payment=payment)


def payment_receivers_connect() -> None:
    """Connect the receivers of the payment signals (called once, by `OrdersConfig.ready`)."""
    from payments.signals import payment_captured, payment_failed

    payment_captured.connect(_on_payment_captured, dispatch_uid="orders-payment-captured")
    payment_failed.connect(_on_payment_failed, dispatch_uid="orders-payment-failed")


# --- expiry ------------------------------------------------------------------------------------


def orders_release_expired(*, now: dt.datetime | None = None) -> int:
    """Release every pending order whose held stock is past its deadline; how many were released.

    What the beat task runs every minute. Each order is released in its own transaction under
    its row's lock (`order_release_expired`), so running this twice, or in two workers at once,
    releases each order once, and a payment recorded meanwhile either came first (the order is
    paid and stays so) or finds the order released (and is refunded).
    """
    now = now or timezone.now()
    order_ids = list(
        StockReservation.objects.filter(
            status=ReservationStatus.HELD, expires_at__lte=now, order__status__in=[str(OrderState.PENDING)]
        )
        .order_by("order_id")
        .values_list("order_id", flat=True)
        .distinct()
    )
    return sum(1 for order_id in order_ids if order_release_expired(order_id=order_id, now=now))


def order_release_expired(*, order_id: int, now: dt.datetime | None = None) -> bool:
    """Release one pending order whose reservation expired: stock back, coupon usable again,
    cancelled ("payment not received in time"); then void a payment still in flight. False (and
    nothing changes) when it is not pending any more or its stock is not past the deadline.
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.status_id != OrderState.PENDING:
            return False
        expired = StockReservation.objects.filter(
            order_id=order_id, status=ReservationStatus.HELD, expires_at__lte=now
        ).exists()
        if not expired:
            return False
        if order.issued_coupon_id:
            issued_coupon_release(issued_coupon_id=order.issued_coupon_id, order_id=order.pk)
        reservations_release(order_id=order.pk)
        order.cancelled_at = now
        _transition(
            order,
            OrderState.CANCELLED,
            actor=None,
            actor_role=ActorRole.SYSTEM,
            reason=EXPIRED,
            also_update=("cancelled_at",),
        )
        # A payment still in flight must not take the money now: voided after the commit, by a
        # task (a gateway call, retried on a timeout). Should it be captured first all the same,
        # `order_payment_captured` finds the order cancelled and refunds it.
        in_flight = list(
            Payment.objects.filter(order_id=order.pk, status__in=IN_FLIGHT_PAYMENT_STATES).values_list("pk", flat=True)
        )
        for payment_id in in_flight:
            transaction.on_commit(partial(_payment_void_enqueue, payment_id), robust=True)
        order_notification_queue(order=order, kind=NotificationKind.PAYMENT_EXPIRED)
    logger.info("Order %s released: %s", order_id, EXPIRED)
    return True


def _payment_void_enqueue(payment_id: int) -> None:
    from ..tasks import order_payment_void_task  # the tasks module imports the services

    order_payment_void_task.delay(payment_id)
