"""The one statement of how many units a line may hold; carts and checkout both apply it."""

from django.conf import settings
from django.utils.translation import gettext as _

from .exceptions import DomainError


def line_quantity(quantity: object, *, error: type[DomainError], lowest: int = 1) -> int:
    """`quantity` as the number of units of one item on a line, or `error` saying why not.

    A whole number (not a bool, not a float) from `lowest` to ORDER_MAX_LINE_QUANTITY.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < lowest:
        raise error(_("Quantities must be whole numbers of at least %(n)d.") % {"n": lowest})
    if quantity > settings.ORDER_MAX_LINE_QUANTITY:
        raise error(_("At most %(n)d of one item per order.") % {"n": settings.ORDER_MAX_LINE_QUANTITY})
    return quantity
