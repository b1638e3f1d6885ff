"""Wishlist forms: the shape of the input. The rules (limits, defaults, what can go on a list)
are the services' (carts/wishlists.py); their refusals come back as errors of these fields."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import WishlistVisibility
from .wishlists import DESCRIPTION_MAX, NAME_MAX, NOTES_MAX

PRIORITY_CHOICES = [
    (5, _("5 · highest")),
    (4, "4"),
    (3, _("3 · normal")),
    (2, "2"),
    (1, _("1 · lowest")),
]


class WishlistForm(forms.Form):
    """Make or edit a list. `is_default` is offered only where it can change (not on the default)."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    description = forms.CharField(
        label=_("Description (optional)"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    visibility = forms.ChoiceField(label=_("Who can see it"), choices=WishlistVisibility.choices)
    is_default = forms.BooleanField(label=_("Make it my default wishlist"), required=False)


class WishlistItemForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), max_length=NOTES_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    priority = forms.TypedChoiceField(label=_("Priority"), choices=PRIORITY_CHOICES, coerce=int)


class WishlistAddForm(forms.Form):
    """ "Add to wishlist" on the product page: a variant, and a list (the default when none)."""

    variant_id = forms.IntegerField(label=_("Option"), min_value=1, error_messages={"required": _("Choose an option.")})
    wishlist_id = forms.IntegerField(label=_("Wishlist"), min_value=1, required=False)


class WishlistMoveToCartForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = forms.IntegerField(
            label=_("Quantity"), min_value=1, max_value=settings.ORDER_MAX_LINE_QUANTITY
        )


class CartToWishlistForm(forms.Form):
    wishlist_id = forms.IntegerField(label=_("Wishlist"), min_value=1, required=False)
