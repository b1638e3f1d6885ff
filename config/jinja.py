"""The Jinja2 environment of the shop's Jinja2 parts (settings.TEMPLATES, common/jinja_env.py):
the common one, with the apps' template-tag functions that both engines use, Django's
`floatformat`, and `local_dates()` for the dates of a table's rows (common/dates.py)."""

from typing import Any

from django.template.defaultfilters import floatformat
from jinja2 import Environment

from carts.templatetags.wishlist_tags import wishlist_choices_for
from catalog.templatetags.catalog_tags import image_src, money, stock_badge
from common.dates import local_dates
from common.jinja_env import base_environment
from orders.templatetags.order_tags import cart_quote_for, coupons_for_checkout, order_max_line_quantity, status_badge


def environment(**options: Any) -> Environment:
    env = base_environment(**options)
    env.globals.update(
        status_badge=status_badge,
        stock_badge=stock_badge,
        order_max_line_quantity=order_max_line_quantity,
        checkout_coupons=coupons_for_checkout,
        cart_quote=cart_quote_for,
        wishlist_choices=wishlist_choices_for,
        local_dates=local_dates,
    )
    env.filters.update(money=money, image_src=image_src, floatformat=floatformat)
    return env
