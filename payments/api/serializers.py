"""Shapes of the wallet API. Money is a decimal string ("12.50"); the services hold the rules."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.serializers import MoneyField
from common.money import MoneyInputError, money_input, money_text_pattern
from payments.models import EntryType, WalletEntry

from .card import PaymentSerializer

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


AMOUNT_PATTERN = money_text_pattern(settings.WALLET_MAX_CHARGE)


@extend_schema_field(
    {
        "type": "string",
        "pattern": AMOUNT_PATTERN,
        "example": "25.00",
        "description": f"A positive amount with at most two decimals, at most {settings.WALLET_MAX_CHARGE}, "
        "as a decimal string.",
    }
)
class ChargeAmountField(serializers.Field):
    # A top-up amount by the one rule the wallet page uses too (`common.money.money_input`): text
    # exactly as the schema says ("25.00"). The schema documents the decimal string only; a JSON
    # number is still read (as a Decimal, never a float) for clients written before it said so.
    # (A comment, not a docstring: the schema shows a field's docstring to client developers.)

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return money_input(data, maximum=settings.WALLET_MAX_CHARGE)
        except MoneyInputError as exc:
            raise serializers.ValidationError(str(exc.message), code=exc.code) from None

    def to_representation(self, value: Decimal) -> str:
        return str(value)


class WalletChargeSerializer(serializers.Serializer):
    amount = ChargeAmountField()
    payment_method_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "One of your saved cards (`payment-methods/`): the top-up is paid with it, and the wallet is "
            "credited once the card is charged. Required unless free top-ups are on (a demo setting)."
        ),
    )


class WalletChargeResultSerializer(serializers.Serializer):
    entry = WalletEntrySerializer(
        allow_null=True, help_text=_("The wallet's credit; null while a card top-up waits for its payment.")
    )
    payment = PaymentSerializer(allow_null=True, help_text=_("The card payment of a paid top-up; null for a free one."))
    balance = MoneyField()
    currency = serializers.CharField()
