"""The cart messages the shop's outbox (`common.outbox`) sends: the abandoned-cart recovery e-mail.

OPTIONAL, refused with `email_notifications` (why that one and not `marketing_emails`: see
carts/abandonment.py). E-mail only: a reminder is not an event of the account's notification list.
"""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.models import Notification
from common.outbox import RenderedMessage, notification_kind_register

from .abandonment import RECOVERY_EMAIL_KIND, RECOVERY_EMAIL_PREFERENCE, recovery_email_context
from .models import AbandonedCart


def cart_recovery_render(notification: Notification) -> RenderedMessage | None:
    abandoned_id = (notification.context or {}).get("abandoned_cart_id") or notification.subject_id
    abandoned = AbandonedCart.objects.filter(pk=abandoned_id).first() if abandoned_id else None
    context = recovery_email_context(abandoned) if abandoned is not None else None
    if context is None:
        return None  # ordered, recovered, emptied or changed since it was queued: nothing to say
    return RenderedMessage(
        subject=str(_("You left something in your cart")),
        body=render_to_string("carts/email/cart_recovery.txt", context),
    )


notification_kind_register(
    RECOVERY_EMAIL_KIND,
    render=cart_recovery_render,
    preference=RECOVERY_EMAIL_PREFERENCE,
    label=_("Your cart is waiting"),
)
