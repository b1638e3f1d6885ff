"""Helpers for the abandoned-cart tests: a cart left idle, the task's e-mails."""

import datetime as dt

from django.utils import timezone

from carts.models import AbandonedCart, Cart
from common.models import Notification


def idle(cart_or_owner_cart: Cart, minutes: int) -> Cart:
    """Make a cart's last activity `minutes` ago (the task reads idleness from `updated_at`)."""
    Cart.all_objects.filter(pk=cart_or_owner_cart.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=minutes))
    cart_or_owner_cart.refresh_from_db()
    return cart_or_owner_cart


def earlier(abandoned: AbandonedCart, hours: float) -> None:
    """Move an abandonment (and its last e-mail, and the cart's last change) `hours` into the past."""
    delta = dt.timedelta(hours=hours)
    fields = {"abandoned_at": abandoned.abandoned_at - delta}
    if abandoned.last_recovery_attempt_at is not None:
        fields["last_recovery_attempt_at"] = abandoned.last_recovery_attempt_at - delta
    AbandonedCart.objects.filter(pk=abandoned.pk).update(**fields)
    cart = Cart.all_objects.get(pk=abandoned.cart_id)
    Cart.all_objects.filter(pk=cart.pk).update(updated_at=cart.updated_at - delta)
    abandoned.refresh_from_db()


def recovery_emails(cart: Cart) -> list[str]:
    return list(
        Notification.objects.filter(kind="cart_recovery", dedupe_key__startswith=f"cart:{cart.pk}:")
        .order_by("pk")
        .values_list("dedupe_key", flat=True)
    )
