import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from common.money import MoneyInputError, money_input

from .exceptions import PaymentMethodRequiredError
from .models import PaymentMethod
from .services.methods import BILLING_FIELDS, CARD_NUMBER_IN_BILLING, billing_fields_with_a_card_number

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
    payment_method = forms.TypedChoiceField(
        label=_("Pay with"), coerce=int, empty_value=None, required=False, widget=forms.RadioSelect
    )
    idempotency_key = forms.CharField(
        required=False, max_length=255, validators=[IDEMPOTENCY_KEY], widget=forms.HiddenInput
    )

    def __init__(
        self, *args: Any, methods: Sequence[PaymentMethod] = (), free: bool | None = None, **kwargs: Any
    ) -> None:
        """`methods`: the customer's cards that can pay; `free`: offer a top-up without payment
        (settings.WALLET_FREE_TOPUP, the demo and seed-000 contract)."""
        self.free = settings.WALLET_FREE_TOPUP if free is None else free
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("idempotency_key", uuid.uuid4().hex)
        default = next((m for m in methods if m.is_default), methods[0] if methods else None)
        initial.setdefault("payment_method", default.pk if default is not None else "")
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("Up to %(max)s, with at most two decimals.") % {
            "max": settings.WALLET_MAX_CHARGE
        }
        choices: list[tuple[Any, str]] = [(m.pk, str(m)) for m in methods]
        if self.free:
            choices.append(("", str(_("No payment (a demo top-up)"))))
        field = self.fields["payment_method"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "payment_method" in cleaned and cleaned["payment_method"] is None and not self.free:
            self.add_error("payment_method", str(PaymentMethodRequiredError.default_message))
        return cleaned

    def clean_amount(self) -> Decimal:
        try:
            return money_input(self.cleaned_data["amount"], maximum=settings.WALLET_MAX_CHARGE)
        except MoneyInputError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from None


class WalletCreditForm(forms.Form):
    """Staff credit a customer's wallet (admin action), through `wallet_staff_credit`."""

    amount = forms.CharField(label=_("Amount"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    note = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_(
            "Required: why the wallet is credited without a payment, e.g. 'Goodwill: late delivery'. Kept with "
            "the entry and in the payment log; its first words are shown on the customer's ledger."
        ),
    )

    clean_amount = WalletChargeForm.clean_amount


class PaymentMethodBillingForm(forms.ModelForm):
    """The billing address of a card about to be saved (the card itself is typed on the card
    gateway's page, never on ours). Every field is optional; the model's rules check lengths and
    the country code."""

    make_default = forms.BooleanField(label=_("Make this my default card"), required=False)

    class Meta:
        model = PaymentMethod
        fields = list(BILLING_FIELDS)
        labels = {
            "billing_name": _("Name on the card"),
            "billing_line1": _("Billing address"),
            "billing_line2": _("Address line 2"),
            "billing_city": _("City"),
            "billing_region": _("State or region"),
            "billing_postal_code": _("Postal code"),
            "billing_country": _("Country"),
        }
        widgets = {
            "billing_name": forms.TextInput(attrs={"autocomplete": "cc-name"}),
            "billing_line1": forms.TextInput(attrs={"autocomplete": "billing address-line1"}),
            "billing_line2": forms.TextInput(attrs={"autocomplete": "billing address-line2"}),
            "billing_city": forms.TextInput(attrs={"autocomplete": "billing address-level2"}),
            "billing_region": forms.TextInput(attrs={"autocomplete": "billing address-level1"}),
            "billing_postal_code": forms.TextInput(attrs={"autocomplete": "billing postal-code"}),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in billing_fields_with_a_card_number(cleaned):
            self.add_error(name, str(CARD_NUMBER_IN_BILLING))
        return cleaned

    def billing(self) -> dict[str, str]:
        return {name: str(self.cleaned_data.get(name) or "") for name in BILLING_FIELDS}
