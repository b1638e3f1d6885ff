"""The "Save this cart for later" form: the shape of the input (the service checks it again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .saved import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH


class SavedCartForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": _("Give the saved cart a name.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. Birthday party")}),
    )
    description = forms.CharField(
        label=_("Note (optional)"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
