"""The order e-mails the shop's outbox (`common.outbox`) sends: what they say, and the preference
("Email me about my orders") that lets a customer refuse them."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.models import Notification
from common.outbox import RenderedMessage, notification_kind_register

from .models import NotificationKind, Order, OrderReturn

SUBJECTS = {
    NotificationKind.CONFIRMATION: _("Your order %(number)s is confirmed"),
    NotificationKind.CANCELLATION: _("Your order %(number)s is cancelled"),
    # Returns (RMA): the context carries {"return_id": …}, rendered as `order_return`.
    NotificationKind.RETURN_REQUESTED: _("We received your return request for order %(number)s"),
    NotificationKind.RETURN_APPROVED: _("Your return for order %(number)s is approved"),
    NotificationKind.RETURN_REJECTED: _("Your return for order %(number)s was not accepted"),
    NotificationKind.RETURN_RECEIVED: _("Your returned items for order %(number)s have arrived"),
    NotificationKind.RETURN_INSPECTED: _("Your returned items for order %(number)s are inspected"),
    NotificationKind.RETURN_REFUNDED: _("Your return for order %(number)s is refunded"),
}


def order_email_render(notification: Notification) -> RenderedMessage | None:
    if notification.subject_id is None:
        return None
    order = Order.objects.filter(pk=notification.subject_id).first()
    if order is None:
        return None
    context = {"order": order, "items": list(order.items.all()), "notification": notification}
    if return_id := (notification.context or {}).get("return_id"):
        context["order_return"] = (
            OrderReturn.objects.filter(pk=return_id, order=order).prefetch_related("items__order_item").first()
        )
    kind = NotificationKind(notification.kind)
    subject = str(SUBJECTS[kind]) % {"number": order.order_number}
    return RenderedMessage(subject=subject, body=render_to_string(f"orders/email/{kind.value}.txt", context))


for _kind in NotificationKind:
    notification_kind_register(_kind.value, render=order_email_render, preference="email_notifications")
