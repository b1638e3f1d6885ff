from decimal import Decimal

from common.api.parsers import JSONParser


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction become `Decimal`, never `float` (12.10 stays 12.10)."""

    parse_float = Decimal
