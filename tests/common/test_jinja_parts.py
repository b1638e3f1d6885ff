"""The hot loops rendered by Jinja2 (common/jinja_env.py): the cart page's lines and the order
history's rows (Jinja2 pages now; `{% jinja %}` includes such a part in a Django page). They
escape what a shopper typed, carry the page's own CSRF token, show each customer only their own
rows, and print dates as Django does."""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import Markup

from carts.models import CartItem
from carts.services import cart_add_item
from common.jinja_env import _date
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import ProductFactory, VariantFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

pytestmark = pytest.mark.django_db


def _variant(title: str, price: str = "10.00") -> object:
    return VariantFactory(product=ProductFactory(title=title), price=Decimal(price), stock=20)


def test_a_cart_line_escapes_what_was_typed_into_a_title():
    customer = CustomerFactory().user
    cart_add_item(user=customer, variant_id=_variant('<script>alert("x")</script> & Co').pk, quantity=1)
    client = Client()
    client.force_login(customer)
    html = client.get(reverse("carts:detail")).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html  # the link text and labels
    assert 'aria-label="Remove &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"' in html


def test_every_form_of_the_cart_carries_the_pages_one_token_and_it_is_accepted():
    customer = CustomerFactory().user
    keep, drop = _variant("Kettle"), _variant("Teapot")
    cart_add_item(user=customer, variant_id=keep.pk, quantity=1)
    cart_add_item(user=customer, variant_id=drop.pk, quantity=2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    client.get(reverse("home"))  # the CSRF cookie, as a browser holds it
    html = client.get(reverse("carts:detail")).content.decode()
    tokens = TOKEN.findall(html)
    # Each line's update, remove and move-to-wishlist forms, then the page's own forms.
    assert len(tokens) >= 2 * 3 and len(set(tokens)) == 1
    item = CartItem.objects.get(cart__customer=customer, variant=drop)
    answer = client.post(reverse("carts:item_remove", args=[item.pk]), {"csrfmiddlewaretoken": tokens[0]})
    assert answer.status_code in (200, 302)
    assert list(CartItem.objects.filter(cart__customer=customer).values_list("variant_id", flat=True)) == [keep.pk]


def test_customers_and_a_guest_interleaved_see_only_their_own_lines_rows_and_token():
    from orders.services import order_place
    from tests.orders.conftest import funded_user

    ann, bob = funded_user(), funded_user()
    own = {"ann": _variant("Lamp of Ann"), "bob": _variant("Rug of Bob"), "guest": _variant("Mug of a guest")}
    cart_add_item(user=ann, variant_id=own["ann"].pk, quantity=1)
    cart_add_item(user=bob, variant_id=own["bob"].pk, quantity=3)
    order_place(user=ann, lines=[{"variant_id": own["ann"].pk, "quantity": 1}])
    order_place(user=bob, lines=[{"variant_id": own["bob"].pk, "quantity": 2}])
    clients = {"ann": Client(), "bob": Client(), "guest": Client()}
    clients["ann"].force_login(ann)
    clients["bob"].force_login(bob)
    for client in clients.values():
        client.get(reverse("home"))
    clients["guest"].post(reverse("carts:add"), {"variant_id": own["guest"].pk, "quantity": 1})
    titles = {who: variant.product.title for who, variant in own.items()}
    seen_tokens: dict[str, set[str]] = {who: set() for who in clients}
    for _round in range(2):
        for page in (reverse("carts:detail"), reverse("orders:list")):
            for who in ("ann", "guest", "bob"):
                response = clients[who].get(page, follow=True)
                html = response.content.decode()
                if page == reverse("orders:list") and who == "guest":
                    assert "orders" not in response.wsgi_request.path  # sent to sign in
                    continue
                assert titles[who] in html, (who, page)
                assert not any(titles[other] in html for other in titles if other != who), (who, page)
                seen_tokens[who].update(TOKEN.findall(html))
    # Each visitor's pages carry tokens of their own CSRF secret only, never another's.
    secrets = {}
    for who, client in clients.items():
        from django.middleware.csrf import _unmask_cipher_token

        secrets[who] = {_unmask_cipher_token(token) for token in seen_tokens[who]}
        assert secrets[who] == {client.cookies["csrftoken"].value}, who
    assert len({next(iter(s)) for s in secrets.values()}) == 3


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("fmt", ["c", "DATE_FORMAT", "DATETIME_FORMAT", "Y-m-d H:i"])
def test_dates_are_printed_as_djangos_date_filter_prints_them(zone, fmt):
    django_date = Template("{{ value|date:fmt }}")
    moments = [
        datetime.datetime(2026, 12, 6, 23, 59, 30, tzinfo=datetime.UTC),  # the next day in Kolkata
        datetime.datetime(2026, 12, 7, 3, 15, tzinfo=datetime.UTC),  # the day before in New York
        datetime.datetime(2026, 3, 8, 7, 30, 0, 123456, tzinfo=datetime.UTC),
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for moment in moments:
            assert _date(moment, fmt) == django_date.render(Context({"value": moment, "fmt": fmt}))
        assert _date(datetime.date(2026, 12, 6), "DATE_FORMAT") == "Dec. 6, 2026"
    assert _date(None, "c") == ""


def test_the_history_shows_each_order_its_own_lines_when_customers_order_in_turn():
    """A history page reads its lines by the customer and the page's id range: another customer's
    order placed in between never lends its lines, and each row lists its own in order."""
    from orders.services import order_place
    from tests.orders.conftest import funded_user

    ann, bob = funded_user(), funded_user()
    kettle, rug, lamp, mug = _variant("Kettle"), _variant("Rug"), _variant("Lamp"), _variant("Mug")
    first = order_place(user=ann, lines=[{"variant_id": kettle.pk, "quantity": 1}])
    order_place(user=bob, lines=[{"variant_id": rug.pk, "quantity": 4}])
    last = order_place(user=ann, lines=[{"variant_id": lamp.pk, "quantity": 2}, {"variant_id": mug.pk, "quantity": 3}])
    client = Client()
    client.force_login(ann)
    html = client.get(reverse("orders:list")).content.decode()
    rows = re.findall(r'<td data-label="Items">(.*?)</td>', html)
    times = "\N{MULTIPLICATION SIGN}"
    assert rows == [f"2 {times} Lamp, 3 {times} Mug", f"1 {times} Kettle"]  # newest first; Bob's rug on no row
    assert f'href="{reverse("orders:detail", args=[last.order.pk])}"' in html
    assert f'href="{reverse("orders:detail", args=[first.order.pk])}"' in html


def test_kept_translations_and_links_follow_the_language_and_the_mount_point():
    from django.urls import set_script_prefix
    from django.utils import translation

    from common.jinja_env import _gettext, _ngettext, _url

    assert _gettext("Yes") == "Yes"
    with translation.override("de"):
        assert _gettext("Yes") == "Ja"  # Django's own German catalogue
    assert _gettext("Yes") == "Yes"
    # As the i18n extension's newstyle gettext: always a format string, its values escaped.
    assert _gettext("100%% sure") == "100% sure" and _gettext("a %(b)s", b="<i>") == "a &lt;i&gt;"
    assert isinstance(_gettext("Yes"), Markup) and isinstance(_gettext("100%% sure"), Markup)
    for count in (0, 1, 2, 5):
        with translation.override("de"):  # Django's German: "%(counter)s Jahr" / "… Jahre"
            assert _ngettext("%(counter)s year", "%(counter)s years", count, counter=count) == (
                translation.ngettext("%(counter)s year", "%(counter)s years", count) % {"counter": count}
            )
        assert _ngettext("%(num)s <b>item</b>", "%(num)s <b>items</b>", count, num=f"<{count}>") == (
            f"&lt;{count}&gt; <b>{'item' if count == 1 else 'items'}</b>"
        )
    from django.template import engines

    page = engines["jinja2"].env.from_string("{% trans n=3 %}{{ n }} item{% pluralize %}{{ n }} items{% endtrans %}")
    assert page.render() == "3 items"
    assert _url("carts:detail") == reverse("carts:detail")
    set_script_prefix("/shop/")
    try:
        assert _url("carts:detail") == "/shop/cart/"
        assert _url("orders:detail", 7) == "/shop/orders/7/"
    finally:
        set_script_prefix("/")
    assert _url("carts:detail") == "/cart/"


class _PaddedId:
    """A route converter that writes its id its own way (zero-padded)."""

    regex = "[0-9]{6}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:06d}"


def _routes():
    from django.urls import path, re_path, register_converter
    from django.views.generic import View

    register_converter(_PaddedId, "padded")
    return [
        path("things/<int:a>/parts/<int:b>/", View.as_view(), name="two-ids"),
        path("padded/<padded:a>/", View.as_view(), name="padded"),
        re_path(r"^short/(?P<a>[0-9]{1,3})/$", View.as_view(), name="short"),
    ]


urlpatterns = _routes()  # this module is the URL conf of the test below


def test_links_with_ids_are_the_routes_address_with_the_ids_put_in():
    """`url()` builds an id link from its route's address (one reverse() per route); a route that
    writes ids its own way or refuses some gets reverse() itself, so each answer is reverse()'s."""
    from django.urls import set_urlconf

    from common.jinja_env import _url

    for product_id in (1, 42, 10_000, 7_300_000_001):
        assert _url("catalog:product_detail", product_id) == reverse("catalog:product_detail", args=[product_id])
    assert _url("orders:detail", 0) == reverse("orders:detail", args=[0])
    set_urlconf(__name__)
    try:
        assert _url("two-ids", 3, 14) == "/things/3/parts/14/"
        assert _url("padded", 7) == "/padded/000007/"
        assert _url("short", 12) == "/short/12/"
        with pytest.raises(NoReverseMatch):
            _url("short", 1234)
    finally:
        set_urlconf(None)
    assert _url("catalog:product_detail", 5) == "/products/5/"


# --- the compiler: each run of text and values yielded as one string ---------------------------------

_VARIES = re.compile(
    r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|name="idempotency_key" value="|name="checkout_key" value=")[^"]+'
)  # what a render draws afresh


def _pages_by(client: Client, env, generator, paths: list[str]) -> list[str]:
    from django.core.cache import caches

    env.code_generator_class = generator
    env.cache.clear()  # compiled again by this compiler
    caches["public_local"].clear()
    return [_VARIES.sub(r"\1…", client.get(path).content.decode()) for path in paths]


def test_pages_compiled_with_joined_output_are_the_same_text_as_jinjas_own(settings):
    """`_ShopCodeGenerator` yields fewer, longer strings and calls helpers as themselves; the pages
    are the same text: the frame (extends, blocks, `{% once %}`), includes, loops, macros,
    `{% set %}` blocks, `{% trans %}`, and escaping of what a seller typed."""
    from django.template import engines
    from jinja2.compiler import CodeGenerator

    from common.jinja_env import _ShopCodeGenerator

    variant = _variant('Tea <script>alert("x")</script> & "mugs"')
    customer = CustomerFactory().user
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(customer)
    product = reverse("catalog:product_detail", args=[variant.product_id])
    pages = [product, reverse("catalog:product_list"), reverse("carts:detail"), reverse("orders:list"), "/"]
    env = engines["jinja2"].env
    try:
        for client in (signed_in, anonymous):
            jinjas = _pages_by(client, env, CodeGenerator, pages)
            joined = _pages_by(client, env, _ShopCodeGenerator, pages)
            assert joined == jinjas
            assert "&lt;script&gt;" in joined[0] and "<script>alert" not in joined[0]
    finally:
        env.code_generator_class = _ShopCodeGenerator
        env.cache.clear()


def test_fewer_strings_are_yielded_for_the_same_output():
    from jinja2.compiler import CodeGenerator

    from common.jinja_env import _ShopCodeGenerator, base_environment

    source = (
        '{% macro field(name) %}<input name="{{ name }}">{% endmacro %}'
        "{% set caption %}<b>{{ title }}</b> of {{ shop }}{% endset %}"
        "<h1>{{ title }}</h1><p>{{ caption }} {{ field('q') }}</p>"
        "{% for row in rows %}<li>{{ loop.index }}: {{ row }}</li>{% endfor %}"
        "{% trans n=rows|length %}{{ n }} row{% pluralize %}{{ n }} rows{% endtrans %}"
    )
    values = {"title": "<Tea & cake>", "shop": Markup("<i>Shop</i>"), "rows": ["a<", "b>"]}
    rendered = {}
    for generator in (CodeGenerator, _ShopCodeGenerator):
        env = base_environment(autoescape=True)
        env.code_generator_class = generator
        template = env.from_string(source)
        pieces = list(template.root_render_func(template.new_context(values)))
        rendered[generator] = ("".join(pieces), len(pieces))
    (jinjas, jinjas_pieces), (joined, joined_pieces) = rendered.values()
    assert joined == jinjas == template.render(values)
    assert "&lt;Tea &amp; cake&gt;" in joined and "<i>Shop</i>" in joined and "a&lt;" in joined
    assert joined_pieces < jinjas_pieces / 2


def _compiled(env, source: str) -> str:
    return env.compile(source, raw=True)


def test_helpers_taking_no_context_are_called_as_themselves():
    """`_()`, `url()`, `{% once %}` and `{% trans %}` compile to plain calls; a method, a macro, a
    `pass_context` helper (`querystring`) and a name the template sets itself keep Jinja2's
    `context.call`, and all of them give what Jinja2's own compiler gives."""
    from jinja2.compiler import CodeGenerator

    from common.jinja_env import _ShopCodeGenerator, base_environment

    env = base_environment(autoescape=True)
    helpers = (
        "{{ _('Cart') }} {{ url('catalog:product_detail', 7) }}{% once %}{{ static('css/shop.css') }}{% endonce %}"
    )
    compiled = _compiled(env, helpers + "{% trans %}Hello{% endtrans %}")
    assert "context.call(" not in compiled
    kept = {
        "a method": "{{ name.upper() }}",
        "a macro": "{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(name) }}",
        "a pass_context helper": "{{ querystring(page=2) }}",
        "a name the template sets": "{% set _ = name.lower %}{{ _() }}",
        "a loop variable": "{% for url in [name.title] %}{{ url() }}{% endfor %}",
    }
    for what, source in kept.items():
        assert "context.call(" in _compiled(env, source), what
    values = {"name": "tea <mugs>", "request": RequestFactory().get("/products/?q=tea")}
    for source in [helpers, *kept.values()]:
        rendered = []
        for generator in (CodeGenerator, _ShopCodeGenerator):
            env = base_environment(autoescape=True)
            env.code_generator_class = generator
            rendered.append(env.from_string(source).render(values))
        assert rendered[0] == rendered[1], source


def test_a_page_value_may_not_take_a_helpers_name():
    """A helper is called as itself, so a page value under its name would be called in its
    place, without what `context.call` hands a `pass_context` one: refused at render."""
    from common.jinja_env import base_environment

    env = base_environment(autoescape=True)
    template = env.from_string("{{ url('catalog:product_list') }}")
    assert template.render({}) == reverse("catalog:product_list")
    with pytest.raises(TypeError, match="url"):
        template.render({"url": lambda *args: "elsewhere"})
    with pytest.raises(TypeError, match="url"):
        template.render(url="elsewhere")


def test_blocks_base_templates_and_includes_pass_their_output_up_whole():
    """A page that extends a base, fills its blocks (one calling `super()`) and includes parts
    (inside a loop, seeing the loop's variable; one without context; one chosen from a list)
    renders the same text as with Jinja2's own compiler, yielded as one piece."""
    from jinja2 import DictLoader
    from jinja2.compiler import CodeGenerator

    from common.jinja_env import _ShopCodeGenerator, base_environment

    templates = {
        "base.html": "<title>{% block title %}Shop{% endblock %}</title><main>{% block content %}{% endblock %}</main>",
        "middle.html": "{% extends 'base.html' %}{% block title %}{{ super() }} · {{ section }}{% endblock %}",
        "row.html": "<li>{{ row }} of {{ section }}</li>",
        "plain.html": "<hr>",
        "page.html": (
            "{% extends 'middle.html' %}{% block content %}<ul>{% for row in rows %}"
            "{% include 'row.html' %}{% endfor %}</ul>{% include 'plain.html' without context %}"
            "{% include ['missing.html', 'plain.html'] %}{% endblock %}"
        ),
    }
    values = {"section": "<Teas>", "rows": ["green & black", "oolong"]}
    rendered = {}
    for generator in (CodeGenerator, _ShopCodeGenerator):
        env = base_environment(autoescape=True, loader=DictLoader(templates))
        env.code_generator_class = generator
        template = env.get_template("page.html")
        pieces = list(template.root_render_func(template.new_context(values)))
        rendered[generator] = ("".join(pieces), len(pieces))
    (jinjas, jinjas_pieces), (ours, our_pieces) = rendered.values()
    assert ours == jinjas
    assert "<title>Shop · &lt;Teas&gt;</title>" in ours and "<li>green &amp; black of &lt;Teas&gt;</li>" in ours
    assert ours.count("<hr>") == 2
    assert our_pieces == 1 < jinjas_pieces


@given(
    value=st.one_of(
        st.text(),
        st.text().map(Markup),
        st.text().map(mark_safe),
        st.integers(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.none(),
        st.booleans(),
    )
)
@hypothesis_settings(max_examples=300, derandomize=True)
def test_a_value_is_escaped_into_the_page_as_markupsafe_escapes_it(value):
    """`page_text` gives the characters markupsafe's `escape()` gives, as a plain str: text is
    escaped, safe HTML (Markup, Django's SafeString) kept as is, anything else escaped as its str."""
    from markupsafe import escape

    from common.jinja_env import page_text

    text = page_text(value)
    assert type(text) in (str, Markup, type(mark_safe(""))) and text == str(escape(value))


def test_an_imported_macro_sees_what_jinja2_would_show_it():
    """`{% from %}` reuses the imported template's module unless the importing page has globals
    of its own, which the macro must then see (as with Jinja2's own templates)."""
    from jinja2 import DictLoader

    from common.jinja_env import base_environment

    templates = {
        "macros.html": "{% macro hello() %}{{ greeting|default('hi') }}{% endmacro %}",
        "page.html": "{% from 'macros.html' import hello %}{{ hello() }}",
        "welcome.html": "{% from 'macros.html' import hello %}{{ hello() }}",
    }
    env = base_environment(autoescape=True, loader=DictLoader(templates))
    assert env.get_template("page.html").render() == "hi"
    assert env.get_template("welcome.html", globals={"greeting": "welcome"}).render() == "welcome"
    assert env.get_template("page.html").render() == "hi"
    macros = env.get_template("macros.html")
    assert macros._get_default_module() is macros.module  # kept, as Jinja2 keeps it


@given(text=st.text(alphabet=st.characters(codec="utf-8")), length=st.integers(min_value=-1, max_value=40))
@hypothesis_settings(max_examples=400, derandomize=True)
def test_truncatechars_gives_what_djangos_gives(text, length):
    from django.template.defaultfilters import truncatechars

    from common.jinja_env import _truncatechars

    assert _truncatechars(text, length) == truncatechars(text, length)
