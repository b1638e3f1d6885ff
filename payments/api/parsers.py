import codecs
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction become `Decimal`, never `float` (12.10 stays 12.10)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_float=Decimal, parse_constant=json_strict_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def json_strict_constant(name: str) -> Any:
    # NaN and Infinity are not JSON.
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")
