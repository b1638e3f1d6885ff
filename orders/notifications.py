"""The order e-mails the shop's outbox (`common.outbox`) sends: what they say, and the preference
("Email me about my orders") that lets a customer refuse them."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.models import Notification
from common.outbox import RenderedMessage, notification_kind_register

from .models import NotificationKind, Order

SUBJECTS = {
    NotificationKind.CONFIRMATION: _("Your order %(number)s is confirmed"),
    NotificationKind.CANCELLATION: _("Your order %(number)s is cancelled"),
    # Cancellations and order issues (branch `cancel`)
    NotificationKind.CANCELLATION_REQUESTED: _("We received your request to cancel order %(number)s"),
    NotificationKind.CANCELLATION_APPROVED: _("Your order %(number)s is cancelled"),
    NotificationKind.CANCELLATION_REJECTED: _("Your order %(number)s could not be cancelled"),
    NotificationKind.ISSUE_REPORTED: _("We received your report about order %(number)s"),
    NotificationKind.ISSUE_UPDATED: _("News about your report on order %(number)s"),
    NotificationKind.ISSUE_RESOLVED: _("Your report about order %(number)s is resolved"),
    NotificationKind.ISSUE_CLOSED: _("Your report about order %(number)s is closed"),
}


def order_email_render(notification: Notification) -> RenderedMessage | None:
    if notification.subject_id is None:
        return None
    order = Order.objects.filter(pk=notification.subject_id).first()
    if order is None:
        return None
    context = {"order": order, "items": list(order.items.all()), "notification": notification}
    kind = NotificationKind(notification.kind)
    subject = str(SUBJECTS[kind]) % {"number": order.order_number}
    return RenderedMessage(subject=subject, body=render_to_string(f"orders/email/{kind.value}.txt", context))


for _kind in NotificationKind:
    notification_kind_register(_kind.value, render=order_email_render, preference="email_notifications")
