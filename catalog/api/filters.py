"""Query parameters of the product list API, validated by a django-filter FilterSet.

Invalid values are a 400 with field errors (DjangoFilterBackend raises a ValidationError that
common.api.exceptions renders); valid ones are handed to `selectors.products_search`. Values
are checked as sent first (common.api.query): `?min_price=` is a 400, not "no minimum".
"""

import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog import selectors
from catalog.forms import SEARCH_MAX_LENGTH, CategoryRefField
from catalog.models import Category, Product
from common.api.query import BOOLEAN_WORDS, NOT_TRUE_OR_FALSE, sent_value_error

ORDERING_CHOICES = [
    ("price", _("Price, lowest first")),
    ("-price", _("Price, highest first")),
    ("created_at", _("Oldest first")),
    ("-created_at", _("Newest first")),
    ("title", _("Title, A to Z")),
]


# A price in a query: a decimal string, like every amount of money the API takes or gives ("25.00";
# no exponent, sign or spaces), at most 12 digits before the point and 2 after.
PRICE_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
PRICE_TEXT = re.compile(PRICE_PATTERN)
NOT_A_PRICE = _("Send a price as a decimal string such as 25.00: digits, then at most two decimals.")
PRICE_SCHEMA = {"type": "string", "pattern": PRICE_PATTERN, "maxLength": 15, "example": "25.00"}

# A slug's length bounds the parameter, so a schema-valid query always fits the server's request line.
CATEGORY_REF_MAX_LENGTH = Category._meta.get_field("slug").max_length


@extend_schema_field({"type": "string", "maxLength": CATEGORY_REF_MAX_LENGTH})
class CategoryRefFilter(django_filters.Filter):
    field_class = CategoryRefField


class ProductFilterApiForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, field in self.fields.items():
            problem = self._raw_value_error(field, self.data[name]) if name in self.data else None
            if problem:
                # The value as sent is what is wrong: say that once, instead of the field's own
                # reading of it (a too-long `search` said its length twice; "1e-05" said "digits").
                self.errors.pop(name, None)
                self.add_error(name, problem)
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The maximum price must not be lower than the minimum."))
        return cleaned

    @staticmethod
    def _raw_value_error(field: forms.Field, value: str) -> str | None:
        # The schema's types and lengths hold for the text as sent; the form fields would trim it,
        # read "" as not given, and take "yes" or "1" for true.
        if isinstance(field, forms.CharField):
            if field.max_length is not None:
                try:
                    MaxLengthValidator(field.max_length)(value)
                except ValidationError as exc:
                    return str(exc.messages[0])
            return None
        if (problem := sent_value_error(value)) is not None:
            return problem
        if isinstance(field, forms.NullBooleanField) and value not in BOOLEAN_WORDS:
            return str(NOT_TRUE_OR_FALSE)
        if isinstance(field, forms.DecimalField) and not PRICE_TEXT.fullmatch(value):
            return str(NOT_A_PRICE)
        return None


def _keep(queryset: QuerySet[Product], name: str, value: Any) -> QuerySet[Product]:
    # Each value is applied together in ProductFilter.filter_queryset.
    return queryset


class ProductFilter(django_filters.FilterSet):
    category = CategoryRefFilter(
        method=_keep,
        max_length=CATEGORY_REF_MAX_LENGTH,
        help_text=_("A category id or slug; products of its subcategories are included."),
    )
    search = extend_schema_field({"type": "string", "maxLength": SEARCH_MAX_LENGTH})(
        django_filters.CharFilter(
            method=_keep,
            max_length=SEARCH_MAX_LENGTH,
            help_text=_("Words of the title, any case; exact and prefix matches first."),
        )
    )
    min_price = extend_schema_field(PRICE_SCHEMA)(
        django_filters.NumberFilter(method=_keep, min_value=0, max_digits=14, decimal_places=2)
    )
    max_price = extend_schema_field(PRICE_SCHEMA)(
        django_filters.NumberFilter(method=_keep, min_value=0, max_digits=14, decimal_places=2)
    )
    in_stock = extend_schema_field(OpenApiTypes.BOOL)(
        django_filters.BooleanFilter(
            method=_keep, help_text=_("true: only products with stock; false: only those without.")
        )
    )
    ordering = django_filters.ChoiceFilter(
        method=_keep, choices=ORDERING_CHOICES, help_text=_("Default: newest first (best match first when searching).")
    )

    class Meta:
        model = Product
        fields: list[str] = []
        form = ProductFilterApiForm

    def filter_queryset(self, queryset: QuerySet[Product]) -> QuerySet[Product]:
        data = self.form.cleaned_data
        return selectors.products_search(
            products=queryset,
            search=data.get("search") or "",
            category=data.get("category"),
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            in_stock=data.get("in_stock"),
            ordering=data.get("ordering") or "",
        )
