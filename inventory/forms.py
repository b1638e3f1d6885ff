"""Stock forms shared by the seller pages and the admin actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UNITS_PER_CHANGE = 100_000


class RestockForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Units received"),
        min_value=1,
        max_value=MAX_UNITS_PER_CHANGE,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)


class CountForm(forms.Form):
    """A stock take: the quantity counted on the shelf replaces the recorded one."""

    new_quantity = forms.IntegerField(label=_("Counted quantity"), min_value=0, max_value=10 * MAX_UNITS_PER_CHANGE)
    reason = forms.CharField(label=_("Note"), max_length=255, required=False)
