"""Shapes of the wallet API. Money is a decimal string ("12.50"); the services hold the rules."""

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.serializers import MoneyField
from payments.exceptions import InvalidAmountError
from payments.models import EntryType, WalletEntry
from payments.services import parse_charge_amount

# --- wallet -----------------------------------------------------------------------------------


class WalletSerializer(serializers.Serializer):
    balance = MoneyField(read_only=True)
    currency = serializers.CharField(read_only=True)


class WalletEntrySerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True, help_text=_("Always positive; `entry_type` says which way it went."))
    signed_amount = MoneyField(read_only=True, help_text=_("Positive for top-ups and refunds, negative for payments."))
    balance_after = MoneyField(read_only=True)
    entry_type = serializers.ChoiceField(choices=EntryType.choices, read_only=True)
    order_number = serializers.CharField(source="order.order_number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = WalletEntry
        fields = [
            "id",
            "entry_type",
            "amount",
            "signed_amount",
            "balance_after",
            "reference",
            "order_number",
            "created_at",
        ]
        read_only_fields = fields


def _amount_pattern(maximum: Decimal) -> str:
    """A positive amount with at most two decimals, as text, no more than `maximum`.

    Exact for a maximum that is a power of ten (the default 10000.00); otherwise the maximum is
    checked by `parse_charge_amount` alone.
    """
    whole = int(maximum)
    digits = len(str(whole)) - 1
    if maximum == whole and whole == 10**digits and digits >= 1:
        return rf"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{{0,{digits - 1}}}(\.[0-9]{{1,2}})?|{whole}(\.0{{1,2}})?)$"
    return r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,11}(\.[0-9]{1,2})?)$"


AMOUNT_PATTERN = _amount_pattern(settings.WALLET_MAX_CHARGE)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": AMOUNT_PATTERN, "example": "25.00"},
            {
                "type": "number",
                "minimum": 0.01,
                "maximum": float(settings.WALLET_MAX_CHARGE),
                "multipleOf": 0.01,
                "example": 25.0,
            },
        ],
        "description": "A positive amount with at most two decimals, at most WALLET_MAX_CHARGE. "
        "Prefer a string; a JSON number is read as a decimal, never as a float.",
    }
)
class ChargeAmountField(serializers.Field):
    """A top-up amount as a string or a JSON number, checked by `parse_charge_amount`."""

    default_error_messages = {"invalid": _("Enter an amount such as 25.00.")}

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool | float | list | dict):
            self.fail("invalid")
        try:
            amount = parse_charge_amount(data)
        except InvalidAmountError as exc:
            raise serializers.ValidationError(str(exc.message), code=exc.code) from None
        # Then text exactly as the schema says ("25.00"): no spaces, signs, exponents or extra zeros.
        if isinstance(data, str) and not re.fullmatch(AMOUNT_PATTERN, data):
            self.fail("invalid")
        return amount

    def to_representation(self, value: Decimal) -> str:
        return str(value)


class WalletChargeSerializer(serializers.Serializer):
    amount = ChargeAmountField()


class WalletChargeResultSerializer(serializers.Serializer):
    entry = WalletEntrySerializer()
    balance = MoneyField()
    currency = serializers.CharField()
