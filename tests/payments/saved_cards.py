"""Saved cards for tests, made as a customer makes them: the sandbox's tokenisation, then
`payment_method_add`. Expiry years count from today, so no test depends on the date it runs."""

import datetime as dt
from typing import Any

from django.utils import timezone

from payments.gateways.sandbox import sandbox_tokenize
from payments.models import PaymentMethod
from payments.services.methods import payment_method_add

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
CVC = "123"


def card_token(number: str = VISA, *, exp_month: int = 12, years_ahead: int = 3) -> str:
    year = timezone.localdate().year + years_ahead
    return sandbox_tokenize(number=number, exp_month=exp_month, exp_year=year, cvc=CVC).token


def expired_card_token(number: str = VISA) -> str:
    """A token for a card that expired in January 2001 (tokenised "back then")."""
    return sandbox_tokenize(number=number, exp_month=1, exp_year=2001, cvc=CVC, today=dt.date(2000, 6, 1)).token


def saved_card(user: Any, number: str = VISA, **kwargs: Any) -> PaymentMethod:
    return payment_method_add(user=user, token=card_token(number), **kwargs)
