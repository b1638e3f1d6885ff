"""The order e-mails, queued in the shop's one outbox (`common.outbox`): a pending row written in
the order's transaction, sent after commit, sent again by the resend task when the broker or the
mail server was away. What they say is in `orders/notifications.py`.
"""

from common.outbox import notification_queue

from ..models import NotificationKind, Order


def _notification_queue(*, order: Order, kind: NotificationKind, first: bool = False) -> int:
    """Owe the order's customer the `kind` e-mail, once per order and kind; sent after commit.

    `first=True` for an order created in this transaction (nothing can be queued for it yet): a plain insert.
    """
    return notification_queue(
        kind=kind.value, dedupe_key=f"order:{order.pk}:{kind.value}", user=order.customer, subject=order, first=first
    )
