"""The order e-mails, queued in the shop's one outbox (`common.outbox`): a pending row written in
the order's transaction, sent after commit, sent again by the resend task when the broker or the
mail server was away. What they say is in `orders/notifications.py`.
"""

from typing import Any

from common.outbox import notification_queue

from ..models import NotificationKind, Order


def order_notification_queue(
    *,
    order: Order,
    kind: NotificationKind,
    event_key: str = "",
    context: dict[str, Any] | None = None,
    first: bool = False,
) -> int:
    """Owe the order's customer the `kind` message about `order`, once per order, kind and event; sent after commit.

    Call it inside the transaction of the change it tells about. `event_key` tells apart repeated
    events of one kind on one order (a second shipment: `event_key=f"shipment:{tracking.pk}"`; a
    return's step: `f"return:{rma.pk}"`); leave it empty for once-per-order events (confirmation).
    `context` is stored on the row for the message's template. `first=True` for an order created in
    this transaction (nothing can be queued for it yet): a plain insert.
    """
    dedupe_key = f"order:{order.pk}:{kind.value}" + (f":{event_key}" if event_key else "")
    return notification_queue(
        kind=kind.value, dedupe_key=dedupe_key, user=order.customer, subject=order, first=first, context=context or {}
    )
