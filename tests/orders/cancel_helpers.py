"""Shared steps for the cancellation and issue tests (branch `cancel`)."""

from orders.models import OrderNotification, OrderState
from orders.notifications import order_email_render
from orders.services import order_transition


def ship(order, staff, *, deliver: bool = False):
    """Move a paid order along to shipped (and delivered) as staff do."""
    steps = [OrderState.PROCESSING, OrderState.SHIPPED] + ([OrderState.DELIVERED] if deliver else [])
    for to in steps:
        order_transition(order_id=order.pk, to=to, actor=staff)
    order.refresh_from_db()
    return order


def notifications_of(order, kind):
    return list(OrderNotification.objects.filter(subject_id=order.pk, kind=kind).order_by("id"))


def rendered(notification):
    """The subject and body the outbox would send for a notification row."""
    message = order_email_render(notification)
    assert message is not None
    return message.subject, message.body
