import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from common.money import MoneyInputError, money_input

IDEMPOTENCY_KEY = RegexValidator(r"^[A-Za-z0-9_.:-]{1,255}$", _("This form has expired; please try again."))


class WalletChargeForm(forms.Form):
    """A top-up amount, checked by the one rule the API uses too (`common.money.money_input`).

    Each rendered form carries a one-time key, so a double submit or a resubmitted page charges once.
    """

    amount = forms.CharField(
        label=_("Amount"),
        max_length=32,
        strip=False,  # the text as typed, judged by the same rule as the API's (no spaces around it)
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "25.00"}),
    )
    idempotency_key = forms.CharField(
        required=False, max_length=255, validators=[IDEMPOTENCY_KEY], widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("Up to %(max)s, with at most two decimals.") % {
            "max": settings.WALLET_MAX_CHARGE
        }

    def clean_amount(self) -> Decimal:
        try:
            return money_input(self.cleaned_data["amount"], maximum=settings.WALLET_MAX_CHARGE)
        except MoneyInputError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None


class WalletCreditForm(forms.Form):
    """Staff credit a customer's wallet (admin action); it goes through `wallet_charge`."""

    amount = forms.CharField(label=_("Amount"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    note = forms.CharField(
        label=_("Note"),
        max_length=40,
        required=False,
        help_text=_("Shown on the customer's ledger, e.g. 'Goodwill credit'."),
    )

    clean_amount = WalletChargeForm.clean_amount
