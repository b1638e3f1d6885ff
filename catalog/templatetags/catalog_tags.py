"""Template helpers of the catalogue: the stock badge and the price format every product card and
table shows."""

from decimal import InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static

from common.money import money as to_money
from inventory.selectors import LOW_STOCK_AT

register = template.Library()


@register.inclusion_tag("catalog/_stock_badge.html")
def stock_badge(available: Any, low_stock_at: Any = None) -> dict[str, Any]:
    """ "Out of stock", "Only N left" (at or below the low-stock mark) or "In stock"."""
    units = int(available or 0)
    low = LOW_STOCK_AT if low_stock_at in (None, "") else int(low_stock_at)
    if units <= 0:
        state = "out"
    elif units <= low:
        state = "low"
    else:
        state = "in"
    return {"units": units, "state": state}


@register.filter
def money(value: Any) -> str:
    """A price with two decimal places ("19.9900" from SQLite aggregates becomes "19.99")."""
    if value is None or value == "":
        return ""
    try:
        return str(to_money(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def image_src(url: str) -> str:
    """A picture's address as a page links it: a path among the static files (the demo pictures,
    `/static/img/products/…`) gets the static storage's hashed name, which browsers keep for a year."""
    if not url or not url.startswith(settings.STATIC_URL):
        return url
    try:
        return static(url.removeprefix(settings.STATIC_URL).split("?", 1)[0])
    except ValueError:  # not among the collected files (or already a hashed name): as it is
        return url
