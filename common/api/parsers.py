"""The API's JSON parser: strict JSON that the shop can store and answer about.

On top of DRF's parser (NaN and Infinity refused), a body is refused with a 400 `parse_error`
when it is:

- nested deeper than `MAX_DEPTH` objects and arrays (no input of the API nests more than a few
  levels; about 1,000 levels made Python's JSON decoder raise RecursionError, a 500);
- carrying a lone UTF-16 surrogate (`"\\ud800"`) in a key or a value: it is not a character,
  PostgreSQL cannot store it and a JSON answer that echoes it back cannot be encoded.

The message never repeats the offending text.
"""

import codecs
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

MAX_DEPTH = 32


def strict_constant(name: str) -> Any:
    # NaN and Infinity are not JSON.
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_parsed(data: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise ParseError for input nested deeper than `max_depth` or holding a lone surrogate."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(_("JSON nested deeper than %(depth)d levels.") % {"depth": max_depth})
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _has_lone_surrogate(key):
                    raise ParseError(_("Text that is not valid Unicode (a lone surrogate such as \\ud800)."))
                stack.append((item, depth + 1))
        elif isinstance(value, str) and _has_lone_surrogate(value):
            raise ParseError(_("Text that is not valid Unicode (a lone surrogate such as \\ud800)."))


class JSONParser(DRFJSONParser):
    """DRF's JSON parser with the checks above; `parse_float` may read numbers as Decimal."""

    parse_float: Callable[[str], Any] | None = None

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            data = json.load(decoded, parse_float=self.parse_float, parse_constant=strict_constant)
        except RecursionError:
            raise ParseError(_("JSON nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}) from None
        except ValueError as exc:  # UnicodeDecodeError too: bytes that are not UTF-8
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        check_parsed(data)
        return data
