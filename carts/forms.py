"""Cart forms: the shape of the input. The rules (what is for sale, the limits) are the services'."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def _quantity_field(*, lowest: int) -> forms.IntegerField:
    # Built per form, so the limit follows the setting the services enforce.
    return forms.IntegerField(label=_("Quantity"), min_value=lowest, max_value=settings.ORDER_MAX_LINE_QUANTITY)


class CartAddForm(forms.Form):
    """ "Add to cart" on the product page: the same `variant_id` and `quantity` as "Buy now"."""

    variant_id = forms.IntegerField(label=_("Option"), min_value=1, error_messages={"required": _("Choose an option.")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = _quantity_field(lowest=1)


class CartQuantityForm(forms.Form):
    """The quantity box of one cart line; 0 takes the item out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = _quantity_field(lowest=0)
