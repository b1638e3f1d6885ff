"""The e-mails of the accounts app that the shop's outbox (`common.outbox`) sends."""

from django.template.loader import render_to_string

from common.models import Notification
from common.outbox import RenderedMessage, notification_kind_register

from .models import Seller, User

SELLER_DECISION = "seller_decision"


def seller_decision_email_render(notification: Notification) -> RenderedMessage | None:
    """The seller is told its status is now `context["status"]` (templates accounts/email/seller_<status>*).

    Nothing to say when the seller is gone or has moved to another status since: a later
    change sends its own e-mail.
    """
    status = notification.context["status"]
    seller = Seller.objects.select_related("user").filter(pk=notification.subject_id or 0).first()
    if seller is None or seller.status != status:
        return None
    context = {"seller": seller, "user": seller.user, "previous": notification.context.get("previous", "")}
    return RenderedMessage(
        subject=render_to_string(f"accounts/email/seller_{status}_subject.txt", context),
        body=render_to_string(f"accounts/email/seller_{status}.txt", context),
    )


# A decision about the seller's own account: sent whatever the newsletter and order-mail choices.
notification_kind_register(SELLER_DECISION, render=seller_decision_email_render, preference=None)


def sign_up_email_render(notification: Notification) -> RenderedMessage | None:
    """The sign-up page's e-mails (templates accounts/email/signup_<what>*): a welcome, or "someone
    tried to register with your address" (the page says the same "check your email" either way)."""
    user = User.objects.filter(pk=notification.user_id or 0).first()
    if user is None:
        return None
    what = notification.kind.removeprefix("signup_")
    context = {"user": user}
    return RenderedMessage(
        subject=render_to_string(f"accounts/email/signup_{what}_subject.txt", context),
        body=render_to_string(f"accounts/email/signup_{what}.txt", context),
    )


# About the account itself, asked for by whoever typed the address: sent whatever the preferences.
notification_kind_register("signup_welcome", render=sign_up_email_render, preference=None)
notification_kind_register("signup_already_registered", render=sign_up_email_render, preference=None)
