"""The Jinja2 environment of the page parts rendered with Jinja2 (`jinja_templates/`, `{% jinja %}`);
the project's `config.jinja.environment` adds the apps' helpers to it.

Django's template engine renders the page; a loop it would render slowly (a row per order, per
cart line, per variant) is a Jinja2 template included with `{% jinja %}`
(common/templatetags/shared_parts.py). Jinja2 compiles a template to Python once per worker;
Django's engine walks its nodes and resolves every `{{ a.b }}` by trial on every render (README,
"Render speed", fourth round, has the figures).

What a part may use, beside Jinja2's own syntax and filters:

- `gettext`/`ngettext` (and `_`), `{% trans %}`: the active language's translations, as in Django;
- `url(name, *args)`: `reverse()`; `static(path)`: the static file's (hashed) address;
- the template tags' own functions, one definition for both engines: `status_badge(order)`,
  `stock_badge(units, low_stock_at)`, `order_max_line_quantity()`, `checkout_coupons(user)`,
  `wishlist_choices(user)`;
- `csrf_input` / `csrf_token`, `request`, `user`: the page's (`{% jinja %}` passes them);
- the filters `money` and `image_src` (catalog_tags), `linebreaks` and `date(format)` (Django's,
  the latter in the active time zone).

Values are escaped as in Django's templates (autoescape); Django's safe strings stay unescaped.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaks_filter
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # public since 1.x, not in the stubs
from jinja2 import Environment


def _url(name: str, *args: Any, **kwargs: Any) -> str:
    """`reverse()`, kept per worker for positional arguments: a page's links are the same for
    every request, and a `reverse()` costs more than the rest of its row."""
    if kwargs:
        return reverse(name, kwargs=kwargs)
    return _reversed(name, args, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=8192)
def _reversed(name: str, args: tuple[Any, ...], script_prefix: str, urlconf: str) -> str:
    return reverse(name, args=args or None, urlconf=urlconf)


def _gettext(message: str) -> str:
    """Django's `gettext`, kept per language and message: a part translates the same labels on
    every render, and Django's lookup costs a tenth of a product page's body."""
    return _translated(translation.get_language() or "", message)


@functools.lru_cache(maxsize=4096)
def _translated(language: str, message: str) -> str:
    return translation.gettext(message)  # `language` is the active one: it is the key


def _date(value: Any, format: str | None = None) -> str:
    """Django's `date` filter, after the conversion to local time its template engine makes.

    The ISO form ("c") and a day's name ("DATE_FORMAT", no time in it) are the same for every
    row of a day: the ISO one is `isoformat()`, the day's name is kept per day and language
    (Django formats each date through its translations: half of a history page's rows)."""
    if value is None or value == "":
        return ""
    local = template_localtime(value)
    if format == "c" and isinstance(local, datetime.datetime):
        return local.isoformat()
    if format == "DATE_FORMAT" and isinstance(local, datetime.date):
        day = local.date() if isinstance(local, datetime.datetime) else local
        return _day_name(day, translation.get_language() or "")
    return date_filter(local, format)


def _linebreaks(value: Any) -> str:
    """Django's `linebreaks` filter, escaping the text first as Django's engine does."""
    return linebreaks_filter(value, autoescape=True)


@functools.lru_cache(maxsize=4096)
def _day_name(day: datetime.date, language: str) -> str:
    return date_filter(day, "DATE_FORMAT")


def base_environment(**options: Any) -> Environment:
    """Jinja2 with Django's translations, `url()`, `static()` and the `date`/`linebreaks` filters;
    the apps' own helpers are added by the project's `config.jinja.environment`."""
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 - the backend passes autoescape=True
    env.install_gettext_callables(_gettext, translation.ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.globals.update(url=_url, static=static)
    env.filters.update(date=_date, linebreaks=_linebreaks)
    return env
