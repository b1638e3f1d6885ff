"""Template helpers for the order form, which other apps' pages include."""

import functools
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.models import User
from accounts.selectors import address_primary_kept
from promotions.selectors import coupons_usable_kept

from ..models import OrderState
from ..services.quote import Quote
from ..services.quote import cart_quote as quote_of_cart

register = template.Library()


def coupons_for_checkout(user: Any) -> list[Any]:
    """The signed-in customer's unused coupons for a checkout form (none for anyone else): the
    Jinja2 order form's `checkout_coupons(user)` and the `{% checkout_coupons %}` tag.

    Read only where a checkout form is shown, instead of on every page by a context processor.
    """
    if not isinstance(user, User):
        return []
    return coupons_usable_kept(user=user)


@register.simple_tag(takes_context=True)
def checkout_coupons(context: dict[str, Any]) -> list[Any]:
    """`{% checkout_coupons as my_coupons %}`: `coupons_for_checkout` of the request's user."""
    return coupons_for_checkout(getattr(context.get("request"), "user", None))


@register.simple_tag
def status_badge(order: Any) -> SafeString:
    """An order's status as every page shows it (orders/_status.html; the Jinja2 rows' global)."""
    return _status_badge(order.status_id, order.status.name)


@functools.lru_cache(maxsize=256)
def _status_badge(code: str, name: str) -> SafeString:
    # Kept per status and its name (a history page shows a few statuses on twenty rows).
    return format_html('<span class="badge status-{}">{}</span>', code, name)


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


def cart_quote_for(user: Any, cart: Any) -> Quote | None:
    """The cart's shipping, tax and total to the customer's primary address: the cart page's
    `cart_quote(user, cart)` (Jinja2; `cart` is the page's `carts.selectors.CartView`).

    The same numbers the checkout places (`orders.services.quote`); `quote.address` is None when
    the customer has no address yet (then only the goods are priced). None for a guest or an empty
    cart. The primary address is kept per customer (`address_primary_kept`): the page shows it on
    every render, and every address write bumps the customer.
    """
    if not isinstance(user, User) or not cart.lines:
        return None
    address = address_primary_kept(user=user)
    if address is not None and not address.country:
        address = None
    lines = [(line.item.variant, line.item.quantity) for line in cart.lines]
    quote, _problem = quote_of_cart(customer=user, lines=lines, address=address)
    return quote
