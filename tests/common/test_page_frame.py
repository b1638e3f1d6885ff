"""The page frame's constant parts (`{% once %}`, common/templatetags/shared_parts.py) and the
query counts of the signed-in pages whose frame and rows were made cheaper (issue 12)."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carts.services import cart_add_item
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import VariantFactory


def test_a_constant_part_renders_once_per_language():
    template = Template("{% load i18n shared_parts %}{% once %}{% translate 'Sign in' %} {{ who }}{% endonce %}")
    assert template.render(Context({"who": "ann"})) == "Sign in ann"
    # Kept: a variable inside would leak the first visitor's value, which is why none may be there.
    assert template.render(Context({"who": "bob"})) == "Sign in ann"
    with translation.override("de"):
        assert template.render(Context({"who": "bob"})).endswith(" bob")


@pytest.mark.parametrize(
    "body", ["{% once %}{% block b %}{% endblock %}{% endonce %}", "{% once %}{% csrf_token %}{% endonce %}"]
)
def test_a_constant_part_refuses_blocks_and_csrf_tokens(body):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load shared_parts %}" + body)


@pytest.mark.django_db
def test_the_frame_shows_each_visitor_their_own_parts():
    ann, bob = CustomerFactory(user__first_name="Ann").user, CustomerFactory(user__first_name="Bob").user
    cart_add_item(user=ann, variant_id=VariantFactory(stock=5).pk, quantity=2)
    pages = {}
    for who, user in (("ann", ann), ("bob", bob), ("anon", None)):
        client = Client()
        if user is not None:
            client.force_login(user)
        pages[who] = client.get(reverse("catalog:product_list"), {"q": f"{who}-words"}).content.decode()
    assert 'cart-count">2<' in pages["ann"] and "cart-count" not in pages["bob"] + pages["anon"]
    for who, html in pages.items():
        assert f'value="{who}-words"' in html  # the search box keeps its visitor's words
        assert ("Sign out" in html) == (who != "anon") and ("Sign up" in html) == (who == "anon")
        assert html.count('<footer class="container site-footer">') == 1


@pytest.mark.django_db
@pytest.mark.parametrize("lines", [1, 6])
def test_the_cart_page_reads_the_session_user_and_its_lines_in_constant_queries(
    lines, django_assert_num_queries, settings
):
    settings.PUBLIC_CACHE_ENABLED = False  # every part computed: the worst case
    customer = CustomerFactory().user
    for _ in range(lines):
        cart_add_item(user=customer, variant_id=VariantFactory(stock=5).pk, quantity=1)
    client = Client()
    client.force_login(customer)
    client.get(reverse("carts:detail"))  # the first page after signing in records the session
    # The session's user, the lines with their cart, variant and product, the order form's coupons,
    # the header's unread notifications; the delivery estimate's primary address, shipping rules and
    # tax rates (the rules come from the shared cache in production).
    with django_assert_num_queries(7):
        response = client.get(reverse("carts:detail"))
    assert response.status_code == 200
    assert response.content.decode().count('class="cart-quantity"') == lines


@pytest.mark.django_db
@pytest.mark.parametrize("orders", [1, 12])
def test_the_order_history_reads_in_constant_queries(orders, django_assert_num_queries, settings):
    from orders.services import order_place
    from tests.orders.conftest import funded_user

    settings.PUBLIC_CACHE_ENABLED = False
    customer = funded_user()
    for _ in range(orders):
        variant = VariantFactory(stock=5)
        order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}])
    client = Client()
    client.force_login(customer)
    client.get(reverse("orders:list"))  # the first page after signing in records the session
    # The session's user, one page of orders with their status, their lines and the count (one
    # statement), the header's cart count and unread notifications.
    with django_assert_num_queries(4):
        response = client.get(reverse("orders:list"))
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">') == min(orders, 10)
