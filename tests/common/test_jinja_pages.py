"""Pages rendered by Jinja2 (the catalogue's listings and product page, the cart) and the one page frame
(jinja_templates/base.html) that both engines' pages share (common/jinja_env.py,
`{% frame %}` in common/templatetags/shared_parts.py).

The frame, the header's counts and the CSRF token are the visitor's own on every page; the
frame's constant parts are kept per worker and language (`{% once %}`)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.template import Context, Template, engines
from django.test import Client
from django.urls import reverse
from django.utils import translation
from jinja2 import TemplateSyntaxError

from carts.services import cart_add_item
from tests.factories.accounts import CustomerFactory, SellerFactory
from tests.factories.commerce import ProductFactory, VariantFactory
from tests.pages import messages_of

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HEADER_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
HEADER = re.compile(r"<header .*?</header>", re.S)


def test_a_constant_part_renders_once_per_language():
    template = engines["jinja2"].env.from_string("{% once %}{{ _('Sign in') }} {{ who }}{% endonce %}")
    assert template.render(who="ann") == "Sign in ann"
    # Kept: a variable inside would leak the first visitor's value, which is why none may be there.
    assert template.render(who="bob") == "Sign in ann"
    with translation.override("de"):
        assert template.render(who="bob").endswith(" bob")


def test_labels_are_translated_and_filled_as_the_i18n_extension_does():
    """`_()` and `{% trans %}` (common.jinja_env._gettext, the extension's newstyle gettext in one
    call): the active language, values escaped, the label always a format string; the language
    is read when a render starts, so a render in another language inside one gets its own."""
    env = engines["jinja2"].env
    label = env.from_string("{{ _('Yes') }} {{ _('%(who)s has 100%% of it', who=who) }} {% trans %}No{% endtrans %}")
    assert label.render(who="<b>Ann</b>") == "Yes &lt;b&gt;Ann&lt;/b&gt; has 100% of it No"
    with translation.override("de"):
        assert label.render(who="Ann").startswith("Ja Ann") and label.render(who="Ann").endswith(" Nein")
    inner = env.from_string("{{ _('Yes') }}")

    def german() -> str:
        with translation.override("de"):
            return inner.render()

    assert env.from_string("{{ _('Yes') }}/{{ german() }}/{{ _('Yes') }}").render(german=german) == "Yes/Ja/Yes"


def test_a_constant_part_refuses_a_block():
    with pytest.raises(TemplateSyntaxError):
        engines["jinja2"].env.from_string("{% once %}{% block b %}{% endblock %}{% endonce %}")


@pytest.mark.django_db
def test_a_django_page_hands_the_frame_the_blocks_it_overrides():
    template = Template(
        '{% extends "base.html" %}{% block title %}Teapots{% endblock %}'
        '{% block head %}{{ block.super }}<link rel="stylesheet" href="/x.css">{% endblock %}'
        "{% block content %}<p>Pour {{ what }}</p>{% endblock %}"
    )
    html = template.render(Context({"what": "<tea>"}))
    assert "<title>Teapots · Shop</title>" in html
    assert '<link rel="stylesheet" href="/x.css">\n</head>' in html
    assert html.count("<p>Pour &lt;tea&gt;</p>") == 1  # escaped once, by Django's engine, shown once
    # What it did not override is the frame's own: the shop's description and header links.
    assert '<meta name="description" content="The shop: everyday goods' in html
    assert f'<a href="{reverse("promotions:coupons")}">Coupons</a>' in html
    assert 'action="/products/"' in html and "Sign in" in html


@pytest.mark.django_db
def test_django_and_jinja2_pages_show_the_same_frame():
    customer = CustomerFactory().user
    cart_add_item(user=customer, variant_id=VariantFactory(stock=5).pk, quantity=3)
    client = Client()
    client.force_login(customer)
    jinja_page = client.get(reverse("catalog:product_list")).content.decode()  # a Jinja2 page
    django_page = client.get(reverse("promotions:coupons")).content.decode()  # a Django template
    headers = [HEADER_TOKEN.sub("", TOKEN.sub("", HEADER.search(page).group())) for page in (jinja_page, django_page)]
    assert headers[0] == headers[1]
    assert 'cart-count">3<' in headers[0] and "Sign out" in headers[0]


def _variant(title: str) -> object:
    return VariantFactory(product=ProductFactory(title=title), price=Decimal("12.00"), stock=20)


@pytest.mark.django_db
def test_catalogue_pages_interleaved_show_each_visitor_only_their_own_parts():
    """Two customers (one a seller) and an anonymous visitor, turn by turn over the Jinja2 pages,
    through the shared caches: each sees their own cart count, menu, messages and CSRF secret."""
    ann = CustomerFactory(user__first_name="Ann").user
    bob = SellerFactory(user__first_name="Bob").user
    lamp, rug = _variant("Lamp"), _variant("Rug")
    cart_add_item(user=ann, variant_id=lamp.pk, quantity=2)
    clients = {"ann": Client(), "bob": Client(), "anon": Client()}
    clients["ann"].force_login(ann)
    clients["bob"].force_login(bob)
    for client in clients.values():
        client.get(reverse("home"))  # the CSRF cookie, as a browser holds it after its first page
    # Bob adds to his cart by a plain POST: the message is his, on his next page only.
    clients["bob"].post(reverse("carts:add"), {"variant_id": rug.pk, "quantity": 5})
    pages = [
        reverse("catalog:product_list"),
        reverse("catalog:product_list") + "?q=lamp",
        reverse("catalog:category_detail", args=[lamp.product.category.slug]),
        reverse("catalog:product_detail", args=[lamp.product.pk]),
        reverse("catalog:product_detail", args=[rug.product.pk]),
    ]
    seen = {who: [] for who in clients}
    for _round in range(2):
        for page in pages:
            for who in ("ann", "anon", "bob"):
                seen[who].append(clients[who].get(page).content.decode())
    assert sum("Added" in html and "to your cart" in html for html in seen["bob"]) == 1
    assert not any("to your cart" in html for html in seen["ann"] + seen["anon"])
    for who, expected_units in (("ann", 2), ("bob", 5)):
        for html in seen[who]:
            assert f'cart-count">{expected_units}<' in html and "Sign out" in html
            assert ("My products" in html) == (who == "bob")
            tokens = TOKEN.findall(html) + HEADER_TOKEN.findall(html)
            # One masked token a page, of this visitor's own secret.
            assert len(set(tokens)) == 1 and len(tokens) >= 2
            assert _unmask_cipher_token(tokens[0]) == clients[who].cookies["csrftoken"].value
    for html in seen["anon"]:
        assert "cart-count" not in html and "Sign out" not in html and "Sign in" in html
        assert not TOKEN.findall(html) and not HEADER_TOKEN.findall(html)


@pytest.mark.django_db
def test_the_product_pages_token_is_accepted():
    customer = CustomerFactory().user
    variant = _variant("Kettle")
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    client.get(reverse("home"))
    html = client.get(reverse("catalog:product_detail", args=[variant.product.pk])).content.decode()
    answer = client.post(
        reverse("carts:add"), {"variant_id": variant.pk, "quantity": 1, "csrfmiddlewaretoken": TOKEN.findall(html)[0]}
    )
    assert answer.status_code == 302
    assert 'cart-count">1<' in client.get(reverse("catalog:product_list")).content.decode()


# --- the cart page --------------------------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}
BADGE_OOB = '<span id="cart-badge" hx-swap-oob="true">{}</span>'
UNITS = '<span class="badge cart-count">{}<span class="visually-hidden"> items</span></span>'


def _signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    client.get(reverse("home"))  # the CSRF cookie, as a browser holds it after its first page
    return client


@pytest.mark.django_db
def test_the_cart_page_shows_its_message_once_and_one_token_that_is_accepted():
    customer = CustomerFactory().user
    item = cart_add_item(user=customer, variant_id=_variant("Kettle").pk, quantity=1)
    client = _signed_in(customer, enforce_csrf_checks=True)
    html = client.get(reverse("carts:detail")).content.decode()
    tokens = TOKEN.findall(html) + HEADER_TOKEN.findall(html)
    # htmx's header, sign out, the line's three forms, save for later, empty cart, checkout: one token.
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert _unmask_cipher_token(tokens[0]) == client.cookies["csrftoken"].value

    answer = client.post(
        reverse("carts:item_update", args=[item.pk]), {"quantity": 3, "csrfmiddlewaretoken": tokens[0]}
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("carts:detail")
    page = client.get(reverse("carts:detail"))
    assert messages_of(page) == ["Cart updated."]
    assert 'cart-count">3<' in page.content.decode() and "Total for 3 items" in page.content.decode()
    assert messages_of(client.get(reverse("carts:detail"))) == []


@pytest.mark.django_db
def test_the_cart_answers_htmx_with_its_body_and_badge_whose_token_is_accepted():
    customer = CustomerFactory().user
    kettle = cart_add_item(user=customer, variant_id=_variant("Kettle").pk, quantity=1)
    rug = cart_add_item(user=customer, variant_id=_variant("Rug").pk, quantity=2)
    client = _signed_in(customer, enforce_csrf_checks=True)
    token = TOKEN.findall(client.get(reverse("carts:detail")).content.decode())[0]

    html = client.post(
        reverse("carts:item_update", args=[kettle.pk]), {"quantity": 4, "csrfmiddlewaretoken": token}, **HTMX
    ).content.decode()
    assert html.startswith('<div id="cart-body">') and "<html" not in html and "<header" not in html
    assert '<article class="message message-success" role="status">Cart updated.</article>' in html
    assert "Total for 6 items" in html and "Delivered to your primary address in" in html
    assert html.endswith(BADGE_OOB.format(UNITS.format(6)))
    body_tokens = TOKEN.findall(html)  # the body's own forms, for the next change
    assert len(set(body_tokens)) == 1 and _unmask_cipher_token(body_tokens[0]) == client.cookies["csrftoken"].value

    html = client.post(
        reverse("carts:item_remove", args=[rug.pk]), {"csrfmiddlewaretoken": body_tokens[0]}, **HTMX
    ).content.decode()
    assert "Removed from your cart." in html and "Total for 4 items" in html and "Rug" not in html
    html = client.post(
        reverse("carts:item_update", args=[kettle.pk]), {"quantity": "x", "csrfmiddlewaretoken": body_tokens[0]}, **HTMX
    ).content.decode()
    assert 'role="alert">Quantity: Enter a whole number.</article>' in html and "Total for 4 items" in html
    html = client.post(
        reverse("carts:item_remove", args=[kettle.pk]), {"csrfmiddlewaretoken": body_tokens[0]}, **HTMX
    ).content.decode()
    assert "Your cart is empty." in html and html.endswith(BADGE_OOB.format(""))


# --- the order history ------------------------------------------------------------------------------

ROW = re.compile(r'<tr>\s*<th scope="row"><a href="/orders/(\d+)/">')
PLACED = re.compile(r'<td data-label="Placed">(<time [^>]*>[^<]*</time>)</td>')


@pytest.mark.django_db
def test_the_order_history_pages_newest_first_with_the_dates_as_django_prints_them(settings):
    from orders.models import Order
    from orders.services import order_place
    from tests.orders.conftest import funded_user

    settings.TIME_ZONE = "Asia/Kolkata"  # a day ahead of UTC late at night: the page's zone, not the database's
    customer = funded_user()
    kettle = _variant("Kettle")
    placed = [order_place(user=customer, lines=[{"variant_id": kettle.pk, "quantity": 1}]).order for _ in range(12)]
    Order.objects.filter(pk=placed[0].pk).update(created_at=datetime.datetime(2026, 12, 6, 23, 59, tzinfo=datetime.UTC))
    client = _signed_in(customer)

    first, second = (client.get(reverse("orders:list"), {"page": n}).content.decode() for n in (1, 2))
    newest_first = [str(order.pk) for order in reversed(placed)]
    assert ROW.findall(first) == newest_first[:10] and ROW.findall(second) == newest_first[10:]
    assert "Page 1 of 2" in first and '<a href="?page=2" rel="next">Older</a>' in first and 'rel="prev"' not in first
    assert "Page 2 of 2" in second and '<a href="?page=1" rel="prev">Newer</a>' in second and 'rel="next"' not in second
    django_time = Template("<time datetime=\"{{ value|date:'c' }}\">{{ value|date }}</time>")
    shown = PLACED.findall(first) + PLACED.findall(second)
    expected = [django_time.render(Context({"value": order.created_at})) for order in Order.objects.order_by("-pk")]
    assert shown == expected
    assert shown[-1] == '<time datetime="2026-12-07T05:29:00+05:30">Dec. 7, 2026</time>'


@pytest.mark.django_db
def test_the_order_history_shows_a_message_once_and_the_header_of_its_customer():
    customer = CustomerFactory().user
    item = cart_add_item(user=customer, variant_id=_variant("Kettle").pk, quantity=1)
    client = _signed_in(customer)
    client.post(reverse("carts:item_update", args=[item.pk]), {"quantity": 2})  # a plain POST: a message
    history = client.get(reverse("orders:list"))
    assert messages_of(history) == ["Cart updated."]
    html = history.content.decode()
    assert "You have not ordered anything yet." in html and 'cart-count">2<' in html and "Sign out" in html
    assert len(set(HEADER_TOKEN.findall(html) + TOKEN.findall(html))) == 1
    assert messages_of(client.get(reverse("orders:list"))) == []


def test_a_pages_csrf_token_is_the_visitors_secret_under_a_fresh_uniform_mask():
    """common.context_processors.page_csrf_token masks as Django's get_token does (and the cookie
    is sent again), from the OS's randomness; a visitor without a secret gets Django's own."""
    from collections import Counter

    from django.http import HttpRequest
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, _get_new_csrf_string

    from common.context_processors import page_csrf_token

    request = HttpRequest()
    secret = request.META["CSRF_COOKIE"] = _get_new_csrf_string()
    tokens = [page_csrf_token(request) for _ in range(3000)]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    assert len(set(tokens)) == 3000 and {len(token) for token in tokens} == {64}
    # Every character of the alphabet about equally likely in the masks (96,000 draws: 1,548 each
    # expected; a modulo bias would give some 1,290 and others 1,935).
    drawn = Counter("".join(token[:32] for token in tokens))
    assert set(drawn) == set(CSRF_ALLOWED_CHARS) and all(1_250 < count < 1_850 for count in drawn.values())

    newcomer = HttpRequest()  # no cookie yet: Django's get_token sets one
    assert _unmask_cipher_token(page_csrf_token(newcomer)) == newcomer.META["CSRF_COOKIE"]
