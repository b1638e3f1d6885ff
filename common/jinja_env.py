"""The Jinja2 environment of the pages and parts rendered with Jinja2 (`jinja_templates/`); the
project's `config.jinja.environment` adds the apps' helpers to it.

The page frame (`base.html`) is Jinja2, for the pages of both engines. The busiest pages (the
catalogue's listings and product page, the cart, the order history) are Jinja2 pages: their view
renders with `using="jinja2"`, and the backend's context processors (settings.TEMPLATES) give them
what Django's give a Django template. Elsewhere Django's engine renders the page, and a part it
would render slowly (a loop of rows, the product cards of the home page, the checkout's totals)
is a Jinja2 part included with `{% jinja %}` (common/templatetags/shared_parts.py). Jinja2
compiles a template to Python once per worker; Django's engine walks its nodes and resolves every
`{{ a.b }}` by trial on every render (README, "Render speed" has the figures).

What a part may use, beside Jinja2's own syntax and filters:

- `gettext`/`ngettext` (and `_`), `{% trans %}`: the active language's translations, as in Django;
- `url(name, *args)`: `reverse()`; `static(path)`: the static file's (hashed) address;
  `language_code()`: the active language;
- the template tags' own functions, one definition for both engines: `status_badge(order)`,
  `stock_badge(units, low_stock_at)`, `order_max_line_quantity()`, `checkout_coupons(user)`,
  `wishlist_choices(user)`;
- `csrf_input` / `csrf_token`, `request`, `user`: the page's (`{% jinja %}` passes them);
- the filters `money` and `image_src` (catalog_tags), `linebreaks`, `striptags`, `truncatechars` and
  `date(format)` (Django's, the latter in the active time zone);
- `querystring(page=2)`: Django's `{% querystring %}`; `{% call shared(scopes, name) %}…{% endcall %}`:
  `{% shared %}`, a part kept per generation.

`{% once %}…{% endonce %}` keeps a constant part (labels, links, asset addresses) per worker and
language, as the Django templates' tag of that name.

Values are escaped as in Django's templates (autoescape); Django's safe strings stay unescaped.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import io
import itertools
import types
import unicodedata
from collections.abc import Callable, Sequence
from types import MappingProxyType, SimpleNamespace
from typing import Any

import markupsafe
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaks_filter, striptags, truncatechars
from django.template.defaulttags import querystring
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # public since 1.x, not in the stubs
from jinja2 import Environment, Template, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.ext import Extension
from jinja2.idtracking import VAR_LOAD_RESOLVE
from jinja2.parser import Parser
from jinja2.utils import _PassArg
from markupsafe import Markup, escape

from common.public_cache import shared_fragment


def _url(name: str, *args: Any, **kwargs: Any) -> str:
    """`reverse()`, kept per worker for positional arguments: a page's links are the same for
    every request, and a `reverse()` costs more than the rest of its row. A link with ids only
    (a product's, an order's) is its route's address with the ids put in: one `reverse()` per
    route, not one per product of a 10,000-product catalogue."""
    if kwargs:
        return reverse(name, kwargs=kwargs)
    script_prefix, urlconf = _current_key()[1], _current_urlconf()
    if args and all(type(arg) is int and arg >= 0 for arg in args):
        parts = _address_around_ids(name, len(args), script_prefix, urlconf)
        if parts is not None:
            return _put_in(parts, args)
    return _reversed(name, args, script_prefix, urlconf)


@functools.lru_cache(maxsize=8192)
def _reversed(name: str, args: tuple[Any, ...], script_prefix: str, urlconf: str) -> str:
    return reverse(name, args=args or None, urlconf=urlconf)


@functools.lru_cache(maxsize=512)
def _address_around_ids(name: str, count: int, script_prefix: str, urlconf: str) -> tuple[str, ...] | None:
    """The route's address split around its `count` integer ids, or None where putting the ids in
    would not give what `reverse()` gives (a route that does not take them, or writes them its
    own way): checked with stand-in ids and with small ones."""
    stand_ins = [str(7_300_000_001 + n) for n in range(count)]
    try:
        address = reverse(name, args=stand_ins, urlconf=urlconf)
        small = reverse(name, args=list(range(1, count + 1)), urlconf=urlconf)
    except NoReverseMatch:
        return None
    parts: list[str] = []
    for stand_in in stand_ins:
        before, found, address = address.partition(stand_in)
        if not found or stand_in in address:
            return None
        parts.append(before)
    parts.append(address)
    return tuple(parts) if _put_in(parts, list(range(1, count + 1))) == small else None


def _put_in(parts: Sequence[str], ids: Sequence[int]) -> str:
    if len(parts) == 2:  # one id, as most links
        return f"{parts[0]}{ids[0]}{parts[1]}"
    return "".join(part + str(id_) for part, id_ in zip(parts[:-1], ids, strict=True)) + parts[-1]


def constant_part_key() -> tuple[str, str, int]:
    """What a page's constant parts (labels, links, asset addresses) depend on: the active
    language, the URL prefix the shop is mounted at and the settings object (a test's
    `override_settings` gets its own). The key of `{% once %}` in both engines and of `static()`."""
    return (translation.get_language() or "", get_script_prefix(), id(getattr(settings, "_wrapped", settings)))


# The constant-part key and URL conf of the Jinja2 render in progress, read once per render rather
# than once per label or link: a product page has about forty `_()`, `url()` and `{% once %}`, and
# each read of Django's active language, URL prefix or URL conf is a context-local lookup.
_render_key: contextvars.ContextVar[tuple[tuple[str, str, int], str] | None] = contextvars.ContextVar(
    "jinja_render_key", default=None
)


def _render_state() -> tuple[tuple[str, str, int], str]:
    return (constant_part_key(), get_urlconf() or settings.ROOT_URLCONF)


def _current_key() -> tuple[str, str, int]:
    return (_render_key.get() or _render_state())[0]


def _current_urlconf() -> str:
    return (_render_key.get() or _render_state())[1]


class _KeyedTemplate(Template):
    """A Jinja2 template that reads `constant_part_key()` and the URL conf once when it starts
    rendering (a nested render, a `{% jinja %}` part inside a Django page, reads them again: it may
    run in another language)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        values = args[0] if args and isinstance(args[0], dict) else dict(*args, **kwargs)
        helpers = _called_as_themselves(self.environment)
        if not helpers.isdisjoint(values) or not helpers.isdisjoint(kwargs):
            shadowed = sorted(helpers.intersection(values).union(helpers.intersection(kwargs)))
            raise TypeError(f"A page's values may not take the name of a Jinja2 helper: {shadowed}")
        token = _render_key.set(_render_state())
        try:
            return super().render(*args, **kwargs)
        finally:
            _render_key.reset(token)

    def _get_default_module(self, ctx: Any = None) -> Any:
        """Jinja2's own (`{% from "x.html" import macro %}` on every render), with its question
        "has the importing page globals this template lacks?" asked of the globals' names in
        one set operation: Jinja2 took their difference with a ChainMap's keys, a Python-level
        loop of some eighty calls (30 µs) for every import on every page."""
        if ctx is not None and not ctx.globals_keys.difference(self.globals):
            ctx = None  # nothing new: the module kept for this template, as Jinja2 would give
        return super()._get_default_module(ctx)


def _called_as_themselves(env: Environment) -> set[str]:
    """The helpers' names the compiler calls as themselves in this environment (_ShopCodeGenerator)."""
    names: set[str] | None = getattr(env, "_called_as_themselves", None)
    if names is None:
        names = set()
        env._called_as_themselves = names  # type: ignore[attr-defined]  # the environment's own
    return names


def _static(path: str) -> str:
    """`static()`, kept per worker: the page frame links five assets on every page."""
    return _static_address(path, _current_key())


@functools.lru_cache(maxsize=512)
def _static_address(path: str, key: tuple[str, str, int]) -> str:
    return static(path)  # the prefix and the settings (a test's override) are in the key


def _language_code() -> str:
    return _current_key()[0] or settings.LANGUAGE_CODE


def _gettext(__message: str, **variables: Any) -> Markup:
    """`gettext` and `_()`: the i18n extension's "newstyle" gettext in one call (its own is three
    nested calls per label) and Django's translation kept per language and message (a page
    translates the same labels on every render; Django's lookup cost a tenth of a product page's
    body). As the extension's: the translation is safe HTML (every template autoescapes) and always
    a format string, `%(name)s` filled from `variables`, escaped."""
    label, plain = _translated(_current_key()[0], __message)
    if plain is not None and not variables:
        return plain  # most labels: no `%` to fill or unescape
    return label % variables


@functools.lru_cache(maxsize=4096)
def _translated(language: str, message: str) -> tuple[Markup, Markup | None]:
    """The translation as Markup (as the extension's gettext makes it) and, when it holds no `%`,
    the same again: what formatting it with no variables gives, without the formatting (a
    product page has some thirty labels). `language` is the active one: it is the key."""
    label = Markup(translation.gettext(message))  # noqa: S704 - the shop's own translations  # nosec B704 - see left
    return label, (label if "%" not in label else None)


def _ngettext(__singular: str, __plural: str, __num: int, **variables: Any) -> Markup:
    """`ngettext` and `{% trans %}…{% pluralize %}`: the i18n extension's "newstyle" ngettext in
    one call, Django's translation kept per language, message and number (the header's cart count
    on every signed-in page: Django's catalogue and plural rule looked up every time). As the
    extension's: safe HTML, a format string with `num` and `variables` filled in, escaped."""
    variables.setdefault("num", __num)
    return _plural_translated(_current_key()[0], __singular, __plural, __num) % variables


@functools.lru_cache(maxsize=4096)
def _plural_translated(language: str, singular: str, plural: str, num: int) -> Markup:
    return Markup(translation.ngettext(singular, plural, num))  # noqa: S704 - the shop's own translations  # nosec B704 - see left


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
        return _day_name(day, _current_key()[0])
    return date_filter(local, format)


@pass_context
def _querystring(context: Any, query_dict: Any = None, **changes: Any) -> str:
    """Django's `{% querystring %}`: the page's query string (`request.GET`) with these changes."""
    page = SimpleNamespace(request=context.get("request"))  # all of the Django context it reads
    return querystring(page, query_dict, **changes)  # type: ignore[arg-type]  # see above


def _shared(scopes: list[str], name: str, caller: Callable[[], Markup]) -> Markup:
    """`{% call shared(["catalog"], name) %}…{% endcall %}`: the Jinja2 form of `{% shared %}`
    (common/templatetags/shared_parts.py): a part every shopper sees the same, rendered once per
    generation of these scopes and `name` (and the active language). Nothing of the visitor in it."""
    html = shared_fragment(scopes, name, lambda: str(caller()), engine="jinja2")
    return Markup(html)  # noqa: S704 - Jinja2's own output, escaped as it rendered  # nosec B704 - see left


def _truncatechars(value: Any, length: Any) -> str:
    """Django's `truncatechars`; text that fits is returned as it is without Django's walk over
    its characters (a product page's meta description: 14 µs)."""
    fits = type(value) is str and type(length) is int and 0 < len(value) <= length
    if fits and unicodedata.is_normalized("NFC", value):
        return value  # what Django returns for it: no more characters than the limit, as NFC
    return truncatechars(value, length)


def _linebreaks(value: Any) -> str:
    """Django's `linebreaks` filter, escaping the text first as Django's engine does."""
    return linebreaks_filter(value, autoescape=True)


@functools.lru_cache(maxsize=4096)
def _day_name(day: datetime.date, language: str) -> str:
    return date_filter(day, "DATE_FORMAT")


# What `{% once %}` rendered: per template position, language, URL prefix and settings object.
_RENDERED_ONCE: dict[tuple[str, str, str, int], Markup] = {}
_once_positions = itertools.count()


class OnceExtension(Extension):
    """`{% once %}…{% endonce %}`: a constant part of a page (labels, links, asset addresses),
    rendered the first time, then the same HTML for every later page of this worker.

    Keyed by the active language, the URL prefix the shop is mounted at and the settings object (a
    test's `override_settings` gets its own): `_()`, `url()` and `static()` are all a constant part
    may use. Never around anything of the visitor (`user`, `request`, `csrf_token`, messages, a
    count) nor a `{% block %}`. The Django templates' `{% once %}` is the same rule.
    """

    tags = {"once"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endonce",), drop_needle=True)
        if any(isinstance(node, nodes.Block) or node.find(nodes.Block) for node in body):
            parser.fail("{% once %} cannot hold a {% block %}", lineno)
        position = f"{parser.name}:{lineno}:{next(_once_positions)}"  # one per {% once %} compiled
        call = self.call_method("_rendered", [nodes.Const(position)])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _rendered(self, position: str, caller: Callable[[], Markup]) -> Markup:
        key = (position, *_current_key())
        html = _RENDERED_ONCE.get(key)
        if html is None:
            html = _RENDERED_ONCE[key] = caller()  # Jinja2's output, escaped as it rendered
        return html


# What a helper may be to be called as itself (below): functions and methods, kept or not.
_PLAIN_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools._lru_cache_wrapper)


def _takes_no_context(helper: Any) -> bool:
    """A plain function that asks Jinja2 for nothing (no `pass_context` and the like)."""
    return isinstance(helper, _PLAIN_CALLABLES) and _PassArg.from_obj(helper) is None


# markupsafe's own escaping of a str (C speedups), what its `escape()` wraps in a Markup.
_escape_text: Callable[[str], str] = getattr(markupsafe, "_escape_inner", None) or (lambda text: str(escape(text)))


def page_text(value: Any) -> str:
    """`escape(value)` as the page's text: the same characters, as a plain str. A `{{ value }}`
    goes straight into the page, so the Markup object `escape()` makes around it (a Python-level
    constructor, a hundred a product page) is dropped as soon as it is made."""
    if type(value) is str:
        return _escape_text(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()  # safe HTML (a Markup, a SafeString): as is
    return _escape_text(str(value))


class _ShopCodeGenerator(CodeGenerator):
    """Jinja2's compiler with four savings on every render; the pages are the same text.

    - **Output** is yielded as one string per run of text and `{{ … }}` between two tags. Jinja2
      yields every piece on its own: a product page was 240 strings, each passed up through every
      template it is nested in (the page, its base templates, the block, the include), a
      generator resumed at each level. Joined where Jinja2 itself joins them into a buffer
      (inside a `{% set %}` block or a macro), in the same order, with the same escaping.
    - **Blocks, base templates and includes** pass their output up as one string, not piece by
      piece through every template they are nested in (a cart page's pieces went up three
      levels).
    - **Values are escaped into plain text** (`page_text`), not into a Markup object each that
      is only joined into the page.
    - **Helpers are called as themselves**: `_("Cart")`, `url(...)`, `stock_badge(...)` and the
      `{% once %}` blocks compile to a plain call, not to `context.call(helper, ...)`, which only
      looks for a `pass_context` marker (two lookups and three frames a call, 66 calls a product
      page). Only for a name read from the render's context that is, when the template compiles,
      an environment global taking no context (`_takes_no_context`); a page's own values may not
      reuse such a name (`_KeyedTemplate.render` refuses them).
    """

    def writeline(self, x: str, node: nodes.Node | None = None, extra: int = 0) -> None:
        # Jinja2 writes `yield from` for a block, a base template and an include without context
        # (async environments write loops instead): their output, passed up whole.
        if x.startswith("yield from "):
            x = f"yield ''.join({x.removeprefix('yield from ')})"
        super().writeline(x, node, extra)
        if x.startswith("from jinja2.runtime import "):  # the compiled module's imports
            super().writeline("from common.jinja_env import page_text")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("page_text(")  # in place of Jinja2's escape(): the same text, no Markup
            if finalize.src is not None:
                self.write(finalize.src)
            return
        super()._output_child_pre(node, frame, finalize)

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        named = isinstance(node.template, nodes.Const) and isinstance(node.template.value, str)
        plain = node.with_context and not node.ignore_missing and not self.environment.is_async
        if not named or not plain or frame.buffer is not None:
            super().visit_Include(node, frame)
            return
        # Jinja2's own include of a template by name (compiler.py), its output passed up as one
        # string (writeline above).
        self.writeline("template = environment.get_template(", node)
        self.visit(node.template, frame)
        self.write(f", {self.name!r})")
        self.writeline(
            "yield from template.root_render_func("
            f"template.new_context(context.get_all(), True, {self.dump_local_context(frame)}))"
        )

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if not self._helper_call(node.node, frame):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.visit(node.node, frame)
        # Jinja2's own arguments, less the loop and block variables it hands `context.call`
        # (for a pass_context callee only); its signature() writes a comma before each.
        written, self.stream = self.stream, io.StringIO()
        try:
            self.signature(node, frame, {"caller": "caller"} if forward_caller else None)
        finally:
            arguments, self.stream = self.stream.getvalue(), written
        self.write(f"({arguments.removeprefix(', ')})")

    def _helper_call(self, callee: nodes.Expr, frame: Frame) -> bool:
        if self.environment.sandboxed or self.environment.is_async:
            return False
        if isinstance(callee, nodes.ExtensionAttribute):  # {% once %}
            extension = self.environment.extensions[callee.identifier]
            return _takes_no_context(getattr(extension, callee.name, None))
        if not isinstance(callee, nodes.Name) or callee.ctx != "load":
            return False
        load = frame.symbols.find_load(frame.symbols.ref(callee.name))
        if load != (VAR_LOAD_RESOLVE, callee.name):  # a macro, a loop variable, a {% set %}
            return False
        helper = self.environment.globals.get(callee.name)
        if not _takes_no_context(helper):
            return False
        _called_as_themselves(self.environment).add(callee.name)
        return True

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or frame.require_output_check or len(node.nodes) < 2:
            super().visit_Output(node, frame)
            return
        # Rendered into a buffer of our own, then yielded joined: Jinja2's buffered output path.
        buffer = self.temporary_identifier()
        self.writeline(f"{buffer} = []")
        frame.buffer = buffer
        try:
            super().visit_Output(node, frame)
        finally:
            frame.buffer = None
        self.writeline(f"yield ''.join({buffer})")


def base_environment(**options: Any) -> Environment:
    """Jinja2 with Django's translations, `url()`, `static()` and the `date`/`linebreaks` filters;
    the apps' own helpers are added by the project's `config.jinja.environment`."""
    env = Environment(extensions=["jinja2.ext.i18n", OnceExtension], **options)  # noqa: S701 - the backend passes autoescape=True
    env.template_class = _KeyedTemplate
    env.code_generator_class = _ShopCodeGenerator
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.globals.update(gettext=_gettext, _=_gettext, ngettext=_ngettext)  # the extension's, in one call
    # `slots`: the blocks a Django template hands the page frame (jinja_templates/base.html); none
    # for a Jinja2 page.
    env.globals.update(url=_url, static=_static, language_code=_language_code, slots=MappingProxyType({}))
    env.globals.update(querystring=_querystring, shared=_shared)
    # Django's filters where Jinja2 has one of the same name that differs (striptags) or none.
    env.filters.update(date=_date, linebreaks=_linebreaks, striptags=striptags, truncatechars=_truncatechars)
    return env
