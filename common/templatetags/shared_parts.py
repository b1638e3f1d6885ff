"""The Django templates' tags for fast pages: `{% shared %}`, `{% once %}`, `{% jinja %}` and
`{% frame %}` (README, "How pages are written fast").

`{% shared %}`: a part of a template every shopper sees the same, rendered once per generation.

    {% load shared_parts %}
    {% shared "catalog" name=cards_key %}
      {% for product in products %}{% jinja "catalog/_product_card.html" product=product %}{% endfor %}
    {% endshared %}

The first arguments are the scopes (common/public_cache.py) the part shows; `name` says
everything else it depends on (the view builds it, e.g. from the filters and the page number).
The active language is added to it. The part must not show anything of the visitor (no `user`,
no `csrf_token`, no `request`, no messages): those render outside it, on every request.
Without the public cache (tests) or Redis, or with an empty name, it renders every time.
"""

from typing import Any, cast

from django import template
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.template.defaulttags import CsrfTokenNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockNode
from django.utils.safestring import mark_safe
from jinja2 import Environment

from common.context_processors import csrf_field
from common.jinja_env import constant_part_key
from common.public_cache import shared_fragment

register = template.Library()


class SharedNode(template.Node):
    def __init__(self, nodelist: template.NodeList, scopes: list[Any], name: Any) -> None:
        self.nodelist, self.scopes, self.name = nodelist, scopes, name

    def render(self, context: template.Context) -> str:
        scopes = [str(scope.resolve(context)) for scope in self.scopes]
        name = self.name.resolve(context)
        html = shared_fragment(scopes, name, lambda: str(self.nodelist.render(context)), engine="django")
        # The template engine's own output, escaped as it rendered: safe as the same part rendered inline.
        return mark_safe(html)  # noqa: S308 - see above  # nosec B703 - see above


@register.tag("shared")
def do_shared(parser: template.base.Parser, token: template.base.Token) -> SharedNode:
    bits = token.split_contents()[1:]
    scopes = [parser.compile_filter(bit) for bit in bits if not bit.startswith("name=")]
    names = [bit[len("name=") :] for bit in bits if bit.startswith("name=")]
    if not scopes or len(names) != 1:
        raise template.TemplateSyntaxError("{% shared %} takes one or more scopes and name=…")
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    return SharedNode(nodelist, scopes, parser.compile_filter(names[0]))


# --- {% once %}: the page frame's constant parts ---------------------------------------------------


class OnceNode(template.Node):
    """Rendered the first time, then the same HTML for every later page of this worker.

    Keyed by the active language, the URL prefix the shop is mounted at and the settings object
    (a test's `override_settings` gets its own), since `{% url %}`, `{% static %}` and
    `{% translate %}` are all a constant part can hold: nothing of the visitor, the request or
    the page.
    """

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.rendered: dict[tuple[str, str, int], str] = {}

    def render(self, context: template.Context) -> str:
        key = constant_part_key()
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = str(self.nodelist.render(context))
        return mark_safe(html)  # noqa: S308 - as rendered inline  # nosec B703 - the engine's own output


@register.tag("once")
def do_once(parser: template.base.Parser, token: template.base.Token) -> OnceNode:
    """`{% once %}…{% endonce %}`: a constant part of the page frame (links, labels, asset
    URLs), rendered once per worker and language instead of on every request. Never around
    anything of the visitor (`user`, `request`, `csrf_token`, messages, a count) nor a `{% block %}`
    (a child template's override would be rendered once for every page)."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% once %} takes no arguments")
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode) or nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError("{% once %} cannot hold a {% block %} or a {% csrf_token %}")
    return OnceNode(nodelist)


# --- {% jinja %}: a hot loop rendered by Jinja2 -------------------------------------------------


def _page_values(context: template.Context, values: dict[str, Any]) -> dict[str, Any]:
    """What a Jinja2 part sees of the Django page around it, besides the `values` passed by name:
    `request`, the signed-in `user`, and the page's `csrf_token` / `csrf_input`."""
    token = context.get("csrf_token")  # the page's own (a lazy value: one masked token a page)
    values.setdefault("request", context.get("request"))
    values.setdefault("user", context.get("user"))
    # Not the backend's own csrf_input: that one masks a new token at every form of the part.
    values["csrf_token"] = token
    values["csrf_input"] = csrf_field(token)
    return values


def _jinja_env() -> Environment:
    return cast(Jinja2, engines["jinja2"]).env


@register.simple_tag(takes_context=True)
def jinja(context: template.Context, template_name: str, **values: Any) -> str:
    """`{% jinja "orders/_quote_totals.html" quote=quote %}`: the Jinja2 template of that name
    (`jinja_templates/`, common/jinja_env.py) rendered here with these values, `request`, the signed-in
    `user`, and the page's `csrf_token` / `csrf_input`. For a loop of rows on a busy page: Jinja2
    renders it several times faster than Django's engine. Pass what it shows by name (it sees
    nothing else of the page)."""
    html = _jinja_env().get_template(template_name).render(_page_values(context, values))
    return mark_safe(html)  # noqa: S308 - Jinja2's own output, autoescaped  # nosec B703 - see above


# --- {% frame %}: the page frame of Django templates --------------------------------------------

# What the frame (jinja_templates/base.html) reads of the page besides its blocks: the context
# processors' values (settings.TEMPLATES).
_FRAME_VALUES = ("messages", "cart_item_count", "unread_notification_count")


class FrameNode(template.Node):
    """templates/base.html: the Jinja2 page frame, with the blocks a child template overrides.

    The frame is written once, in Jinja2, for the pages of both engines. Its blocks' defaults are
    the frame's own; here each `{% block %}` is empty and only those a child template overrides
    are rendered (with `{{ block.super }}` as usual) and handed to the frame as `slots`.
    """

    child_nodelists = ("nodelist",)  # so `{% extends %}` finds the blocks inside

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.blocks = [node for node in nodelist if isinstance(node, BlockNode)]

    def render(self, context: template.Context) -> str:
        block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
        slots = {}
        for block in self.blocks:
            if block_context is not None and block_context.get_block(block.name) not in (None, block):
                rendered = block.render(context)
                slots[block.name] = mark_safe(rendered)  # noqa: S308 - the engine's own output  # nosec B703 - see left
        values = _page_values(context, {name: context.get(name) for name in _FRAME_VALUES})
        values["slots"] = slots
        html = _jinja_env().get_template("base.html").render(values)
        return mark_safe(html)  # noqa: S308 - Jinja2's own output, autoescaped  # nosec B703 - see above


@register.tag("frame")
def do_frame(parser: template.base.Parser, token: template.base.Token) -> FrameNode:
    """`{% frame %}{% block title %}{% endblock %}…{% endframe %}`: only in templates/base.html."""
    nodelist = parser.parse(("endframe",))
    parser.delete_first_token()
    return FrameNode(nodelist)
