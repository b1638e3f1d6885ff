"""Page forms. They check the shape of the input; the rules (stock, coupon, wallet) live in the
checkout service, whose `DomainError`s the views show as messages.
"""

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from payments.models import RefundDestination

from .models import (
    CUSTOMER_CANCELLATION_REASONS,
    NOTE_MAX_LENGTH,
    RETURN_REASON_TEXT_MAX_LENGTH,
    CancellationReason,
    IssueType,
    IssueUrgency,
    ReturnCondition,
    ReturnReason,
    ShippingCarrier,
)
from .selectors import ReturnableLine
from .services import OrderLine, ReturnLine


class OneTimeKeyForm(forms.Form):
    """A checkout form's hidden one-time key (a fresh one per render): a double submit is one order."""

    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"].strip()
        if not key.replace("-", "").isascii() or not key.replace("-", "").isalnum():
            raise forms.ValidationError(_("This form is out of date. Reload the page and try again."))
        return key


class PayWithForm(forms.Form):
    """How a checkout form pays: `wallet` (the default: paid at once), `card` (the order waits,
    paid on its page next), or `card:<id>` (one of the customer's saved cards, charged at once)."""

    pay_with = forms.CharField(label=_("Pay with"), max_length=32, required=False)

    def clean_pay_with(self) -> tuple[str, int | None]:
        raw: str = self.cleaned_data.get("pay_with", "").strip() or "wallet"
        kind, _sep, method_id = raw.partition(":")
        if raw in ("wallet", "card"):
            return raw, None
        if kind == "card" and method_id.isascii() and method_id.isdigit() and 0 < int(method_id) < 2**63:
            return kind, int(method_id)
        raise forms.ValidationError(_("Choose how to pay: your wallet or a card."))

    @property
    def payment_method(self) -> str:
        return str(self.cleaned_data["pay_with"][0])

    @property
    def payment_method_id(self) -> int | None:
        method_id: int | None = self.cleaned_data["pay_with"][1]
        return method_id


class OrderPayForm(OneTimeKeyForm):
    """The "Pay" form of a pending order's page: one of the customer's saved cards."""

    payment_method_id = forms.IntegerField(
        label=_("Card"), min_value=1, max_value=2**63 - 1, error_messages={"required": _("Choose a card.")}
    )


class OrderPlaceForm(PayWithForm, OneTimeKeyForm):
    """Order from the product page (the `orders/_order_form.html` include).

    One line is `variant_id` + `quantity`. Several lines at once are repeated `line_variant_id`
    and `line_quantity` pairs, in the same order; a pair with an empty or zero quantity is left
    out, so a page may list every variant with a quantity box.
    """

    variant_id = forms.IntegerField(label=_("Option"), min_value=1, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False, initial=1)
    # The id of one of the customer's issued coupons, as in the API (never a coupon's own id).
    coupon_id = forms.IntegerField(label=_("Coupon"), min_value=1, required=False)
    # One of the customer's addresses; none: the primary one.
    shipping_address_id = forms.IntegerField(label=_("Deliver to"), min_value=1, required=False)
    special_instructions = forms.CharField(
        label=_("Notes for the seller"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at run time, so the limit follows the setting the service enforces.
        self.fields["quantity"] = forms.IntegerField(
            label=_("Quantity"),
            min_value=1,
            max_value=settings.ORDER_MAX_LINE_QUANTITY,
            required=False,
            initial=1,
        )
        self.lines: list[OrderLine] = []

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())
        getlist = getattr(self.data, "getlist", None)  # a QueryDict has it, a plain dict does not
        if getlist is not None and (raw_variants := getlist("line_variant_id")):
            self.lines = self._clean_lines(raw_variants, getlist("line_quantity"))
            return cleaned
        if self.errors:
            return cleaned
        if cleaned.get("variant_id") is None:
            self.add_error("variant_id", _("Choose an option."))
        if cleaned.get("quantity") is None:
            self.add_error("quantity", _("Enter a quantity."))
        if not self.errors:
            self.lines = [OrderLine(variant_id=cleaned["variant_id"], quantity=cleaned["quantity"])]
        return cleaned

    def _clean_lines(self, raw_variants: list[str], raw_quantities: list[str]) -> list[OrderLine]:
        if len(raw_quantities) != len(raw_variants):
            self.add_error(None, _("Each option needs its own quantity."))
            return []
        lines: list[OrderLine] = []
        for raw_variant, raw_quantity in zip(raw_variants, raw_quantities, strict=True):
            if raw_quantity.strip() in ("", "0"):
                continue
            try:
                variant_id = self.fields["variant_id"].clean(raw_variant)
                quantity = self.fields["quantity"].clean(raw_quantity)
            except forms.ValidationError as error:
                self.add_error(None, error)
                return []
            if variant_id is None:
                self.add_error(None, _("Choose an option."))
                return []
            lines.append(OrderLine(variant_id=variant_id, quantity=quantity))
        if not lines:
            self.add_error(None, _("Choose at least one item."))
        return lines


class OrderCancelForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=_("Reason"),
        choices=CUSTOMER_CANCELLATION_REASONS,
        required=False,
        initial=CancellationReason.CHANGED_MIND,
    )
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CartCheckoutForm(PayWithForm, OneTimeKeyForm):
    """Checkout from the cart or checkout page: the lines are the cart's, so the coupon, a note and
    where to deliver (one of the customer's addresses; none chosen: the primary one)."""

    coupon_id = forms.IntegerField(label=_("Coupon"), min_value=1, required=False)
    shipping_address_id = forms.IntegerField(label=_("Deliver to"), min_value=1, required=False)
    special_instructions = forms.CharField(
        label=_("Notes for the seller"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CheckoutChoiceForm(forms.Form):
    """The checkout page's GET choices: which address and coupon to price the cart with."""

    address = forms.IntegerField(min_value=1, required=False)
    coupon = forms.IntegerField(min_value=1, required=False)


# --- cancellations and order issues (branch `cancel`) -------------------------------------------


def _line_label(item: Any) -> str:
    variant = f" ({item.variant_name})" if item.variant_name else ""
    return f"{item.quantity} x {item.product_title}{variant}"


class IssueReportForm(forms.Form):
    issue_type = forms.ChoiceField(label=_("What went wrong?"), choices=IssueType.choices)
    items = forms.TypedMultipleChoiceField(
        label=_("Which items? (none: the whole order)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Tell us more"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"), choices=IssueUrgency.choices, initial=IssueUrgency.MEDIUM, required=False
    )

    def __init__(self, *args: Any, order_items: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(item.pk, _line_label(item)) for item in order_items]  # type: ignore[attr-defined]

    def clean_urgency(self) -> str:
        return self.cleaned_data.get("urgency") or IssueUrgency.MEDIUM


class IssueRateForm(forms.Form):
    customer_satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5 is very satisfied, 1 not at all."),
    )


class SellerIssueAnswerForm(forms.Form):
    response = forms.CharField(
        label=_("Your answer to the customer"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )


# --- Fulfilment ------------------------------------------------------------------------------------


class ShipmentForm(forms.Form):
    """A seller ships lines of an order: carrier, tracking number and which of their lines.

    `lines` are the seller's unshipped lines of the order (the view passes them); the service
    checks again under the order's lock, and its refusals come back as form errors.
    """

    carrier = forms.ModelChoiceField(label=_("Carrier"), queryset=ShippingCarrier.objects.none(), empty_label=None)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)
    items = forms.MultipleChoiceField(
        label=_("Lines in this parcel"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one line.")},
    )
    estimated_delivery = forms.DateField(
        label=_("Expected delivery"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    delivery_instructions = forms.CharField(
        label=_("Delivery instructions"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, lines: list[Any], carriers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["carrier"]).queryset = carriers
        items = cast(forms.MultipleChoiceField, self.fields["items"])
        items.choices = [(str(line.pk), f"{line.quantity} x {line.product_title} ({line.sku})") for line in lines]
        self.initial.setdefault("items", [str(line.pk) for line in lines])

    def item_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["items"]]


# --- Returns (RMA) ---


class OrderReturnForm(forms.Form):
    """Ask to return delivered lines: a quantity box per line that can still go back (`quantity_<line id>`).

    The boxes' maximums are what could be returned when the page was drawn; the service counts
    again under the order's lock, so a parallel request cannot take the same units twice. A field
    for a line that cannot be returned is not a field of the form, and is ignored.
    """

    reason = forms.ChoiceField(label=_("Why are you returning it?"), choices=ReturnReason.choices)
    reason_text = forms.CharField(
        label=_("Tell us more (optional)"),
        max_length=RETURN_REASON_TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    destination = forms.ChoiceField(
        label=_("Refund to"),
        choices=RefundDestination.choices,
        initial=RefundDestination.ORIGINAL,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, lines: Sequence[ReturnableLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[ReturnableLine, str]] = []
        for line in lines:
            if line.returnable <= 0:
                continue
            name = f"quantity_{line.item.pk}"
            self.fields[name] = forms.IntegerField(
                label=line.item.product_title, min_value=0, max_value=line.returnable, required=False, initial=0
            )
            self.line_fields.append((line, name))
        self.lines: list[ReturnLine] = []

    def bound_line_fields(self) -> list[tuple[ReturnableLine, forms.BoundField]]:
        return [(line, self[name]) for line, name in self.line_fields]

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())
        self.lines = [
            ReturnLine(order_item_id=line.item.pk, quantity=cleaned[name])
            for line, name in self.line_fields
            if cleaned.get(name)
        ]
        if not self.errors and not self.lines:
            self.add_error(None, _("Choose how many of at least one item to return."))
        return cleaned


class ReturnRejectForm(forms.Form):
    reason = forms.CharField(label=_("Why is it rejected? (the customer sees this)"), max_length=255)


class ReturnApproveForm(forms.Form):
    return_shipping_cost = forms.DecimalField(
        label=_("Return shipping cost"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    customer_pays_shipping = forms.BooleanField(label=_("The customer pays the return shipping"), required=False)
    restocking_fee = forms.DecimalField(
        label=_("Restocking fee"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    notes = forms.CharField(label=_("Staff notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReturnReceiveForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=80, required=False)
    tracking_number = forms.CharField(label=_("Return tracking number"), max_length=64, required=False)


class ReturnInspectForm(forms.Form):
    condition_rating = forms.TypedChoiceField(
        label=_("Condition"),
        choices=ReturnCondition.choices,
        coerce=int,
        help_text=_("Good or better goes back to stock."),
    )
    inspection_notes = forms.CharField(
        label=_("Inspection notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    restocking_fee = forms.DecimalField(
        label=_("Restocking fee (leave empty to keep)"), min_value=0, max_digits=14, decimal_places=2, required=False
    )


class ReturnRefundForm(forms.Form):
    """No input: the amount is the return's `refund_due`; the page shows it before staff confirm."""
