"""Money is Decimal with two places, rounded half up; built from strings, never floats."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: str | int | Decimal) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money() takes str, int or Decimal, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_field(**kwargs: Any) -> models.DecimalField:
    """A money column: Decimal with 14 digits, 2 of them after the point."""
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)
