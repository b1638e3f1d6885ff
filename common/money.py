"""Money is Decimal with two places, rounded half up; built from strings, never floats."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The column default written into every migration. The shop's currency is settings.SHOP_CURRENCY,
# which services pass when they create a row; this literal only keeps the migrations identical
# whatever the environment says (a default read from settings would make `makemigrations` depend
# on it). Change it together with a migration, never alone.
CURRENCY_DEFAULT = "USD"


def money(value: str | int | Decimal) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money() takes str, int or Decimal, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_field(**kwargs: Any) -> models.DecimalField:
    """A money column: Decimal with 14 digits, 2 of them after the point."""
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def currency_field(**kwargs: Any) -> models.CharField:
    """A currency column: the three-letter ISO 4217 code beside a money column."""
    kwargs.setdefault("default", CURRENCY_DEFAULT)
    return models.CharField(max_length=3, **kwargs)
