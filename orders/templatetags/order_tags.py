"""Template helpers for the order form, which other apps' pages include."""

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import User
from promotions.selectors import coupons_usable

from ..models import CancellationStatus, IssueStatus, OrderState

register = template.Library()


@register.simple_tag(takes_context=True)
def checkout_coupons(context: dict[str, Any]) -> list[Any]:
    """The signed-in customer's unused coupons: `{% checkout_coupons as my_coupons %}`.

    Read only where the order form is shown, instead of on every page by a context processor.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return []
    return list(coupons_usable(user=user))


@register.filter
def order_state_label(code: str) -> str:
    """The readable name of a status code from the order history ("paid" -> "Paid")."""
    try:
        return str(OrderState(code).label)
    except ValueError:
        return code


@register.simple_tag
def order_max_line_quantity() -> int:
    """How many of one option an order may hold (the checkout service enforces it)."""
    return int(settings.ORDER_MAX_LINE_QUANTITY)


@register.filter
def history_entry_label(entry: Any) -> str:
    """What one order-history row says: a status, a cancellation's step or an issue's step."""
    if entry.change_type == "created":
        return str(_("Order placed"))
    if entry.change_type == "cancellation":
        return str(_("Cancellation: %(step)s") % {"step": _choice_label(CancellationStatus, entry.new_value)})
    if entry.change_type == "issue":
        return str(_("Reported issue: %(step)s") % {"step": _choice_label(IssueStatus, entry.new_value)})
    return order_state_label(entry.new_value)


def _choice_label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label).lower()
    except ValueError:
        return code
