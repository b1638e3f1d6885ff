"""Money is Decimal with two places, rounded half up; built from strings, never floats.

`money_input` is the one rule for an amount a person or a client types (the wallet page's form
and the API's serializer both use it): ASCII digits, an optional point and one or two decimals,
nothing else. Python's `Decimal()` alone would also take `1e3`, `+5`, `.5`, `١٢` (Arabic-Indic
digits) or full-width digits, which no client is told it may send.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The column default written into every migration. The shop's currency is settings.SHOP_CURRENCY,
# which services pass when they create a row; this literal only keeps the migrations identical
# whatever the environment says (a default read from settings would make `makemigrations` depend
# on it). Change it together with a migration, never alone.
CURRENCY_DEFAULT = "USD"

# A number as typed, before its value is judged: `[0-9]`, not `\d` (which matches any script's digits).
_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def money(value: str | int | Decimal) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money() takes str, int or Decimal, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_field(**kwargs: Any) -> models.DecimalField:
    """A money column: Decimal with 14 digits, 2 of them after the point."""
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class MoneyInputError(DomainError):
    code = "invalid_amount"
    http_status = 400
    default_message = _("Enter an amount such as 25.00.")


def money_text_pattern(maximum: Decimal) -> str:
    """The regular expression (for the schema and for `money_input`) of a positive amount as text:
    at most two decimals, no leading zeros, signs, exponents or spaces, no more than `maximum`.

    Exact for a maximum that is a power of ten (the wallet's default 10000.00); otherwise the
    maximum is checked on the value alone.
    """
    whole = int(maximum)
    digits = len(str(whole)) - 1
    if maximum == whole and whole == 10**digits and digits >= 1:
        return rf"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{{0,{digits - 1}}}(\.[0-9]{{1,2}})?|{whole}(\.0{{1,2}})?)$"
    return r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\.[0-9]{1,2})?)$"


def money_input(raw: object, *, maximum: Decimal) -> Decimal:
    """An amount typed on a page or sent to the API: text as `money_text_pattern` says, or (from
    a JSON number) an int or a Decimal; positive, at most two decimals, at most `maximum`.

    Raises MoneyInputError with a sentence for the person who typed it.
    """
    if isinstance(raw, str):
        if not _NUMBER_TEXT.fullmatch(raw):
            raise MoneyInputError()
        amount = Decimal(raw)
    elif isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        amount = Decimal(raw)
    else:  # None, true/false, a float, a list…
        raise MoneyInputError()
    try:
        if not amount.is_finite():
            raise MoneyInputError()
        if amount <= 0:
            raise MoneyInputError(_("The amount must be more than zero."))
        if amount > maximum:
            raise MoneyInputError(
                _("One top-up can add at most %(max)s.") % {"max": maximum}, extra={"max": str(maximum)}
            )
        if amount != amount.quantize(CENT):
            raise MoneyInputError(_("Use at most two decimal places."))
    except InvalidOperation:
        raise MoneyInputError() from None
    if isinstance(raw, str) and not re.fullmatch(money_text_pattern(maximum), raw):
        raise MoneyInputError()  # "007", "1.": a number, but not spelt as clients are told
    return money(amount)


def currency_field(**kwargs: Any) -> models.CharField:
    """A currency column: the three-letter ISO 4217 code beside a money column."""
    kwargs.setdefault("default", CURRENCY_DEFAULT)
    return models.CharField(max_length=3, **kwargs)
