"""Signing in (or signing up and in) merges the visitor's guest cart into the customer's."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.models import Guest

from .request import GUEST_SESSION_KEY, guest_id_of_session
from .services import MergeResult, cart_merge


def merge_message(result: MergeResult) -> str | None:
    """What the shopper is told when part of their guest cart did not fit (None: it all did)."""
    parts = []
    if result.capped:
        kept = ", ".join(
            _("%(title)s (%(quantity)d kept)") % {"title": title, "quantity": quantity}
            for title, quantity in result.capped
        )
        parts.append(_("Not all of these fit in your cart: %(items)s.") % {"items": kept})
    if result.not_added:
        parts.append(
            _("These could not be added (sold out or no longer for sale): %(items)s.")
            % {"items": ", ".join(result.not_added)}
        )
    return " ".join(parts) or None


@receiver(user_logged_in, dispatch_uid="carts_merge_guest_cart")
def _merge_guest_cart(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Django's login() cycles the session key but keeps its data, the guest's id with it. An API
    # token sign-in has no session (and no guest): nothing to do.
    guest_id = guest_id_of_session(request) if request is not None else None
    if guest_id is None:
        return
    guest = Guest.objects.filter(pk=guest_id).first()
    if guest is not None:
        result = cart_merge(guest=guest, user=user)
        if (text := merge_message(result)) is not None:
            messages.warning(request, text, fail_silently=True)
    request.session.pop(GUEST_SESSION_KEY, None)
