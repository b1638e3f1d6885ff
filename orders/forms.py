"""Page forms. They check the shape of the input; the rules (stock, coupon, wallet) live in the
checkout service, whose `DomainError`s the views show as messages.
"""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import ShippingCarrier
from .services import OrderLine


class OneTimeKeyForm(forms.Form):
    """A checkout form's hidden one-time key (a fresh one per render): a double submit is one order."""

    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"].strip()
        if not key.replace("-", "").isascii() or not key.replace("-", "").isalnum():
            raise forms.ValidationError(_("This form is out of date. Reload the page and try again."))
        return key


class OrderPlaceForm(OneTimeKeyForm):
    """Order from the product page (the `orders/_order_form.html` include).

    One line is `variant_id` + `quantity`. Several lines at once are repeated `line_variant_id`
    and `line_quantity` pairs, in the same order; a pair with an empty or zero quantity is left
    out, so a page may list every variant with a quantity box.
    """

    variant_id = forms.IntegerField(label=_("Option"), min_value=1, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False, initial=1)
    # The id of one of the customer's issued coupons, as in the API (never a coupon's own id).
    coupon_id = forms.IntegerField(label=_("Coupon"), min_value=1, required=False)
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
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CartCheckoutForm(OneTimeKeyForm):
    """Checkout from the cart page: the lines are the cart's, so only the coupon and a note."""

    coupon_id = forms.IntegerField(label=_("Coupon"), min_value=1, required=False)
    special_instructions = forms.CharField(
        label=_("Notes for the seller"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
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
