"""Helpers for the returns (RMA) tests: orders placed through checkout and delivered by staff."""

import datetime as dt

from django.utils import timezone

from orders.models import OrderHistory, OrderState
from orders.services import ReturnLine, order_transition, return_request

from .conftest import place


def deliver(order, staff, *, days_ago: float = 0):
    """Move a paid order to DELIVERED through the staff service; backdate the delivery if asked."""
    for to in (OrderState.PROCESSING, OrderState.SHIPPED, OrderState.DELIVERED):
        order_transition(order_id=order.pk, to=to, actor=staff)
    if days_ago:
        OrderHistory.objects.filter(order=order, new_value=OrderState.DELIVERED).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago)
        )
    order.refresh_from_db()
    return order


def delivered_order(customer, variant, staff, quantity: int = 2, **kwargs):
    return deliver(place(customer, variant, quantity), staff, **kwargs)


def request_return(order, customer, quantity: int = 1, **kwargs):
    item = order.items.get()
    kwargs.setdefault("reason", "no_longer_needed")
    return return_request(
        order_id=order.pk, user=customer, lines=[ReturnLine(order_item_id=item.pk, quantity=quantity)], **kwargs
    )
