"""Query parameters are read as the client sent them, the way the schema describes them.

Django's forms and DRF are lenient with query strings: `?min_price=` or `?days=` mean "not
given", " 5" is 5 and "3.0" is 3. The schema says number or integer, so a client that sends an
empty value, spaces around a value or a number with a fraction where a whole number is due gets a
400 naming the parameter, never a quiet default it did not ask for. (A parameter left out is still
"not given".)
"""

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
INTEGER = re.compile(r"-?[0-9]{1,9}")
BOOLEAN_WORDS = ("true", "false")

NOT_AS_SENT = _("Give a value without spaces around it, or leave the parameter out.")
NOT_TRUE_OR_FALSE = _("Send true or false.")


def sent_value_error(value: str) -> str | None:
    """Why a non-text query value is refused before it is parsed: empty, or spaces around it."""
    if value == "" or value != value.strip():
        return str(NOT_AS_SENT)
    return None


class QueryIntegerField(serializers.IntegerField):
    """An integer in a query string: digits (a minus sign before them) only, and present means given."""

    def get_value(self, dictionary: Mapping[Any, Any]) -> Any:
        # DRF reads `?days=` from a query string as "not given"; here it is a value, and wrong.
        if self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not INTEGER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)
