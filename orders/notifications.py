"""The order e-mails the shop's outbox (`common.outbox`) sends: what they say, and the preference
("Email me about my orders") that lets a customer refuse them."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.models import Notification
from common.outbox import RenderedMessage, notification_kind_register

from .models import NotificationKind, Order, OrderTracking

SUBJECTS = {
    NotificationKind.CONFIRMATION: _("Your order %(number)s is confirmed"),
    NotificationKind.CANCELLATION: _("Your order %(number)s is cancelled"),
    NotificationKind.SHIPPED: _("Your order %(number)s is on its way"),
    NotificationKind.DELIVERED: _("Your order %(number)s has arrived"),
}


def order_email_render(notification: Notification) -> RenderedMessage | None:
    if notification.subject_id is None:
        return None
    order = Order.objects.filter(pk=notification.subject_id).first()
    if order is None:
        return None
    context = {"order": order, "items": list(order.items.all()), "notification": notification}
    tracking_id = (notification.context or {}).get("tracking_id")
    if tracking_id is not None:  # a shipment's e-mail: that parcel, its carrier and lines
        shipment = (
            OrderTracking.objects.filter(pk=tracking_id, order=order)
            .select_related("carrier")
            .prefetch_related("lines__order_item")
            .first()
        )
        if shipment is None:
            return None
        context["shipment"] = shipment
    kind = NotificationKind(notification.kind)
    subject = str(SUBJECTS[kind]) % {"number": order.order_number}
    return RenderedMessage(subject=subject, body=render_to_string(f"orders/email/{kind.value}.txt", context))


for _kind in NotificationKind:
    notification_kind_register(_kind.value, render=order_email_render, preference="email_notifications")
