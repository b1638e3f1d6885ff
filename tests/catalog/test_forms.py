"""The filter form's Python-rendered select says what Django's own Select template says."""

import re

import pytest
from django import forms

from catalog.forms import PlainSelect

CHOICES = [("", "All categories"), ("a-b", "Tea & <Coffee>"), ("c", "\u2014 Cups")]


def normalized(html: str) -> list[str]:
    """Tags in order, attributes sorted, whitespace between tags dropped."""
    tags = re.findall(r"<[^>]+>|[^<]+", html)
    out = []
    for tag in (t.strip() for t in tags):
        if not tag:
            continue
        if tag.startswith("<") and not tag.startswith("</"):
            name, *attrs = re.findall(r'[\w-]+(?:="[^"]*")?', tag)
            tag = "<" + " ".join([name, *sorted(attrs)]) + ">"
        out.append(tag)
    return out


@pytest.mark.parametrize("value", ["", "c", None, "not-a-choice"])
def test_plain_select_renders_the_same_markup_as_django(value):
    attrs = {"id": "id_category", "aria-describedby": "id_category_errors"}

    ours = PlainSelect(choices=CHOICES).render("category", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("category", value, attrs=attrs)

    assert normalized(ours) == normalized(django)
    assert "Tea &amp; &lt;Coffee&gt;" in ours  # labels are escaped
