"""Template helpers of the catalogue: the stock badge and the price format every product card and
table shows."""

import functools
from decimal import InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from common.money import money as to_money
from inventory.selectors import LOW_STOCK_AT

register = template.Library()


@register.simple_tag
def stock_badge(available: Any, low_stock_at: Any = None) -> SafeString:
    """ "Out of stock", "Only N left" (at or below the low-stock mark) or "In stock": one
    definition for Django's templates and the Jinja2 parts (made in Python: an inclusion
    template per badge cost more than the row it sat in)."""
    units = int(available or 0)
    low = LOW_STOCK_AT if low_stock_at in (None, "") else int(low_stock_at)
    # Kept per language and what the badge says (-1: in stock, 0: out, else the units left): a
    # listing's first visit shows 24 and translating and formatting each was 40% of its cards.
    says = 0 if units <= 0 else (units if units <= low else -1)
    return _stock_badge(get_language() or "", says)


@functools.lru_cache(maxsize=1024)
def _stock_badge(language: str, says: int) -> SafeString:
    # `language` is the active one: it is the key.
    if says == 0:
        return format_html('<span class="badge stock-badge stock-out">{}</span>', _("Out of stock"))
    if says > 0:
        label = ngettext("Only %(units)d left", "Only %(units)d left", says) % {"units": says}
        return format_html('<span class="badge stock-badge stock-low">{}</span>', label)
    return format_html('<span class="badge stock-badge stock-in">{}</span>', _("In stock"))


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
