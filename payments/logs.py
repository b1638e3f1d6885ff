"""The payment log (`PaymentLog`): one row per payment event, with nothing secret in it.

`payment_log` is the only writer. Whatever a caller passes, digits that look like a card number
(13 to 19 in a row, spaces or dashes allowed) and values under secret-looking keys are masked
before the row is written, so a log can never become the place a card number leaks from.
"""

import re
from typing import Any

from .models import LogLevel, PaymentLog

# 13-19 digits, optionally split by single spaces or dashes: every card number length.
CARD_NUMBER = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
SECRET_KEYS = re.compile(r"(card_?number|^number$|^pan$|cvc|cvv|secret|api_key|password)", re.IGNORECASE)


def redact(value: Any) -> Any:
    """`value` with card-number-like digit runs masked, and secret-named keys' values removed."""
    if isinstance(value, str):
        return CARD_NUMBER.sub(lambda m: "•" * 4 + re.sub(r"\D", "", m.group())[-4:], value)
    if isinstance(value, dict):
        return {k: ("[removed]" if SECRET_KEYS.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def payment_log(
    message: str,
    *,
    source: str,
    level: str = LogLevel.INFO,
    payment: Any = None,
    refund: Any = None,
    initiated_by: Any = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> PaymentLog:
    """Write one log row (in the caller's transaction, if any)."""
    return PaymentLog.objects.create(
        payment=payment,
        refund=refund,
        initiated_by=initiated_by if getattr(initiated_by, "pk", None) else None,
        level=level,
        message=redact(message)[:255],
        source=source[:32],
        details=redact(details or {}),
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:512],
    )
