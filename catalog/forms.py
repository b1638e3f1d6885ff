"""Forms of the catalogue pages: the search and filter bar."""

from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from common.memo import BoundedMemo

from . import cache, selectors
from .models import Category

SEARCH_MAX_LENGTH = 100

SORT_CHOICES = [
    ("-created_at", _("Newest")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
    ("title", _("Title: A to Z")),
]


class PlainSelect(forms.Select):
    """A single-choice `<select>` written in Python, the same markup as Django's template.

    Django renders a template per `<option>`; the category filter has one per category, on
    every catalogue page a signed-in customer opens (profiling put a third of the page there).
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        selected = mark_safe(" selected")  # nosec B308 - a constant; values and labels are escaped below
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], selected if option["selected"] else "", option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options)


class _KeptChoices(BaseChoiceIterator):
    """Choices already in Django's normal form: a field given these does not walk them again."""

    def __init__(self, choices: list[tuple[str, str]]) -> None:
        self.choices = choices

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.choices)


# The category choices of the last category tree, per language: every catalogue page builds the
# filter form, and the tree changes far less often than a page is asked for.
_category_choices: dict[str, tuple[object, _KeptChoices]] = {}


def _category_choices_of(index: Any) -> _KeptChoices:
    language = translation.get_language() or ""
    kept = _category_choices.get(language)
    if kept is None or kept[0] is not index:
        choices = [("", str(_("All categories")))] + [
            (node.category.slug, "\u2014 " * node.depth + node.category.name) for node in index.walk()
        ]
        kept = _category_choices[language] = (index, _KeptChoices(choices))
    return kept[1]


class CategoryRefField(forms.CharField):
    """An active category given by id or slug; cleans to the `Category`."""

    default_error_messages = {"unknown": _("There is no such category.")}

    def clean(self, value: Any) -> Category | None:
        ref = super().clean(value)
        if not ref:
            return None
        category = selectors.category_by_ref(ref=ref)
        if category is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return category


class ProductFilterForm(forms.Form):
    """The GET form of the product list. Invalid fields are reported and left out of the filter."""

    # The header's search box edits the words; the filter form only carries them along.
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX_LENGTH, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("Category"), required=False, widget=PlainSelect)
    min_price = forms.DecimalField(label=_("Min price"), required=False, min_value=0, max_digits=14, decimal_places=2)
    max_price = forms.DecimalField(label=_("Max price"), required=False, min_value=0, max_digits=14, decimal_places=2)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False, widget=PlainSelect)

    def __init__(self, *args: Any, with_category: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category_index = None
        if with_category:
            self.category_index = cache.category_index()
            cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices_of(self.category_index)
        else:
            del self.fields["category"]
            del self.fields["q"]
        for name in ("min_price", "max_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        # Without an explicit sort a search ranks the best matches first, a listing the newest.
        searching = bool(self.is_bound and (self.data.get("q") or "").strip())
        default = ("", _("Best match")) if searching else ("", _("Newest"))
        cast(forms.ChoiceField, self.fields["sort"]).choices = [default] + [
            choice for choice in SORT_CHOICES if searching or choice[0] != "-created_at"
        ]

    @property
    def shared_name(self) -> str:
        """Names the rendered fields for `{% shared %}` (templates/catalog/_filter_fields.html):
        they show the category tree and what was sent for each field, nothing of the visitor."""
        data = self.data
        # A page binds the form to a QueryDict (several values per name); a test may bind a dict.
        values = data.getlist if isinstance(data, QueryDict) else (lambda name: [data.get(name)])
        sent = sorted((name, values(name)) for name in self.fields) if self.is_bound else "unbound"
        return f"catalog:filter-fields:{sorted(self.fields)}:{sent}"

    def has_active_filters(self) -> bool:
        """Whether the shopper narrowed or sorted the list (the filter panel then starts open)."""
        return self.is_bound and any(self.data.get(name) for name in self.fields if name != "q")

    def clean_category(self) -> Category | None:
        slug = self.cleaned_data.get("category")
        if not slug or self.category_index is None:
            return None
        node = self.category_index.by_slug.get(slug)
        return node.category if node else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The maximum price must not be lower than the minimum."))
        return cleaned

    @staticmethod
    def empty_filters() -> dict[str, Any]:
        return {"search": "", "category": None, "min_price": None, "max_price": None, "in_stock": None, "ordering": ""}

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `selectors.products_search` from the fields that are valid."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "search": data.get("q") or "",
            "category": data.get("category"),
            "min_price": data.get("min_price"),
            "max_price": data.get("max_price"),
            "in_stock": True if data.get("in_stock") else None,
            "ordering": data.get("sort") or "",
        }


# Validated filter forms, per category tree, language and the values sent for the form's fields
# (not the page number or anything else in the query string): a listing page builds one on every
# request, and deep-copying its fields and cleaning them was a tenth of a signed-in listing page.
# A kept form is only read after it is built and validated.
_kept_forms: BoundedMemo[tuple[Any, ...], tuple[Any, ProductFilterForm]] = BoundedMemo(limit=256)


def product_filter_form(query: QueryDict, *, with_category: bool = True) -> ProductFilterForm:
    """The validated filter form for this query string (unbound when it is empty), kept per
    worker while the category tree is the same. Read its `filters()`; never change it."""
    index = cache.category_index() if with_category else None
    names = _FIELD_NAMES if with_category else _FIELD_NAMES_WITHOUT_CATEGORY
    sent = tuple(tuple(query.getlist(name)) for name in names) if query else None
    key = (with_category, translation.get_language(), sent)
    kept = _kept_forms.get(key)
    if kept is not None and kept[0] is index:
        return kept[1]
    form = ProductFilterForm(query or None, with_category=with_category)
    form.is_valid()
    _kept_forms.keep(key, (index, form))
    return form


_FIELD_NAMES = tuple(ProductFilterForm.base_fields)
_FIELD_NAMES_WITHOUT_CATEGORY = tuple(name for name in _FIELD_NAMES if name not in ("category", "q"))
