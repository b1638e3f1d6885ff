"""The order messages the shop's outbox (`common.outbox`) sends, by e-mail and in the customer's
account: what they say, which of them a customer may refuse by e-mail, and the page they link to."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.models import Notification
from common.outbox import TRANSACTIONAL, RenderedMessage, notification_kind_register

from .models import NotificationKind, Order, OrderReturn, OrderTracking

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
    # Cancellations and order issues (branch `cancel`)
    NotificationKind.CANCELLATION_REQUESTED: _("We received your request to cancel order %(number)s"),
    NotificationKind.CANCELLATION_APPROVED: _("Your order %(number)s is cancelled"),
    NotificationKind.CANCELLATION_REJECTED: _("Your order %(number)s could not be cancelled"),
    NotificationKind.ISSUE_REPORTED: _("We received your report about order %(number)s"),
    NotificationKind.ISSUE_UPDATED: _("News about your report on order %(number)s"),
    NotificationKind.ISSUE_RESOLVED: _("Your report about order %(number)s is resolved"),
    NotificationKind.ISSUE_CLOSED: _("Your report about order %(number)s is closed"),
    NotificationKind.SHIPPED: _("Your order %(number)s is on its way"),
    NotificationKind.DELIVERED: _("Your order %(number)s has arrived"),
    NotificationKind.PAYMENT_EXPIRED: _("Your order %(number)s is cancelled: its payment did not arrive in time"),
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


def order_link(notification: Notification) -> str | None:
    return reverse("orders:detail", kwargs={"pk": notification.subject_id}) if notification.subject_id else None


# Which order e-mails a customer may refuse, one line per kind and decided here only: TRANSACTIONAL
# ones (the customer's order, money, their own requests) always go; an OPTIONAL one names the
# preference that turns it off ("email_notifications": "Email me optional updates about my orders"). A kind missing
# here fails at start-up. Every order event is also in the account's notification list.
EMAIL_PREFERENCE: dict[NotificationKind, str | None] = {
    NotificationKind.CONFIRMATION: TRANSACTIONAL,
    NotificationKind.CANCELLATION: TRANSACTIONAL,
    NotificationKind.SHIPPED: TRANSACTIONAL,
    NotificationKind.DELIVERED: TRANSACTIONAL,
    NotificationKind.CANCELLATION_REQUESTED: TRANSACTIONAL,
    NotificationKind.CANCELLATION_APPROVED: TRANSACTIONAL,
    NotificationKind.CANCELLATION_REJECTED: TRANSACTIONAL,
    NotificationKind.RETURN_REQUESTED: TRANSACTIONAL,
    NotificationKind.RETURN_APPROVED: TRANSACTIONAL,
    NotificationKind.RETURN_REJECTED: TRANSACTIONAL,
    NotificationKind.RETURN_RECEIVED: TRANSACTIONAL,
    NotificationKind.RETURN_INSPECTED: TRANSACTIONAL,
    NotificationKind.RETURN_REFUNDED: TRANSACTIONAL,
    NotificationKind.ISSUE_REPORTED: TRANSACTIONAL,
    NotificationKind.ISSUE_UPDATED: TRANSACTIONAL,
    NotificationKind.ISSUE_RESOLVED: TRANSACTIONAL,
    NotificationKind.ISSUE_CLOSED: TRANSACTIONAL,
    NotificationKind.PAYMENT_EXPIRED: TRANSACTIONAL,
}


for _kind in NotificationKind:
    notification_kind_register(
        _kind.value,
        render=order_email_render,
        preference=EMAIL_PREFERENCE[_kind],
        in_app=True,
        link=order_link,
        label=_kind.label,
    )
