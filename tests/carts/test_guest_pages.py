"""Guests on the cart pages: a visitor adds from the product page, sees /cart/, changes and removes
lines, and only ever their own; the header counts their cart; checkout asks them to sign in or
create an account; htmx answers with the cart's body and the badge; the product page stays
shareable by the public cache for a visitor without a session."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from carts.models import Cart, CartItem
from carts.request import GUEST_SESSION_KEY
from carts.services import cart_add_item
from inventory.models import InventoryItem
from tests.factories.commerce import VariantFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

BADGE = '<span class="badge cart-count">{n}<span class="visually-hidden"> item{s}</span></span>'
HTMX = {"HTTP_HX_REQUEST": "true"}


def badge(n: int) -> str:
    return BADGE.format(n=n, s="" if n == 1 else "s")


def guest_add(client: Client, variant, quantity: int = 1, **extra):
    page = reverse("catalog:product_detail", args=[variant.product_id])
    return client.post(reverse("carts:add"), {"variant_id": variant.pk, "quantity": quantity, "next": page}, **extra)


def line_of(client: Client) -> CartItem:
    return CartItem.objects.get(cart__guest_id=client.session[GUEST_SESSION_KEY])


def test_a_visitor_adds_from_the_product_page_and_sees_the_cart(client, variant):
    product_page = reverse("catalog:product_detail", args=[variant.product_id])
    html = client.get(product_page).content.decode()
    assert f'action="{reverse("carts:add")}"' in html and "Sign in to buy" in html

    response = guest_add(client, variant, 2)

    assert response.status_code == 302 and response["Location"] == product_page
    cart = Cart.objects.get()
    assert cart.customer_id is None and cart.guest_id == client.session[GUEST_SESSION_KEY]
    page = client.get(reverse("carts:detail"))
    html = page.content.decode()
    assert "Blue teapot" in html and "Total for 2 items" in html and "40.00" in html
    assert badge(2) in html
    # Elsewhere the header counts the guest's cart too.
    assert badge(2) in client.get(reverse("catalog:product_list")).content.decode()


def test_a_guests_cart_page_asks_to_sign_in_or_sign_up_to_check_out(client, variant):
    guest_add(client, variant)
    html = client.get(reverse("carts:detail")).content.decode()
    back = "?next=/cart/"
    assert f'href="{reverse("accounts:login")}{back}"' in html
    assert f'href="{reverse("accounts:signup")}{back}"' in html
    assert "Checking out needs an account" in html
    assert f'action="{reverse("orders:checkout")}"' not in html


def test_a_visitor_without_a_cart_sees_an_empty_one_and_gets_no_session(client):
    response = client.get(reverse("carts:detail"))
    assert response.status_code == 200 and "Your cart is empty." in response.content.decode()
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_a_guest_changes_and_removes_lines(client, variant):
    other = VariantFactory(stock=5, product__title="Green cup")
    guest_add(client, variant, 1)
    guest_add(client, other, 1)
    line = CartItem.objects.get(variant=variant)

    response = client.post(reverse("carts:item_update", args=[line.pk]), {"quantity": "3"}, follow=True)
    assert "Cart updated." in messages_of(response)
    assert CartItem.objects.get(pk=line.pk).quantity == 3
    assert badge(4) in response.content.decode()

    response = client.post(reverse("carts:item_remove", args=[line.pk]), follow=True)
    assert "Removed from your cart." in messages_of(response)
    html = response.content.decode()
    assert "Blue teapot" not in html and "Green cup" in html and badge(1) in html


def test_guests_and_customers_cannot_touch_or_see_each_others_lines(client, customer, variant):
    guest_add(client, variant, 2)
    guest_line = line_of(client)
    intruder = Client()
    guest_add(intruder, VariantFactory(stock=5, product__title="Green cup"))
    signed_in = Client()
    signed_in.force_login(customer)
    customer_line = cart_add_item(user=customer, variant_id=VariantFactory(stock=5).pk, quantity=1)

    for other in (intruder, signed_in):
        assert other.post(reverse("carts:item_update", args=[guest_line.pk]), {"quantity": "1"}).status_code == 404
        assert other.post(reverse("carts:item_remove", args=[guest_line.pk])).status_code == 404
        assert "Blue teapot" not in other.get(reverse("carts:detail")).content.decode()
    for other in (client, intruder, Client()):
        assert other.post(reverse("carts:item_update", args=[customer_line.pk]), {"quantity": "5"}).status_code == 404
        assert other.post(reverse("carts:item_remove", args=[customer_line.pk])).status_code == 404
    assert CartItem.objects.get(pk=guest_line.pk).quantity == 2
    assert CartItem.objects.get(pk=customer_line.pk).quantity == 1


def test_adding_more_than_the_stock_is_refused_naming_the_item(client, variant):
    InventoryItem.objects.filter(variant=variant).update(quantity=1)
    response = guest_add(client, variant, 5, follow=True)
    assert "Only 1 left of Blue teapot; your cart cannot hold 5." in messages_of(response)
    assert not CartItem.objects.exists()


def test_raising_a_line_above_the_stock_is_refused_but_lowering_one_is_not(client, variant):
    guest_add(client, variant, 4)
    line = line_of(client)
    InventoryItem.objects.filter(variant=variant).update(quantity=2)

    page = client.get(reverse("carts:detail")).content.decode()
    assert "Only 2 left of Blue teapot" in page and 'class="stock-problem"' in page

    response = client.post(reverse("carts:item_update", args=[line.pk]), {"quantity": "5"}, follow=True)
    assert "Only 2 left of Blue teapot; your cart cannot hold 5." in messages_of(response)
    assert CartItem.objects.get(pk=line.pk).quantity == 4

    response = client.post(reverse("carts:item_update", args=[line.pk]), {"quantity": "3"}, follow=True)
    assert "Cart updated." in messages_of(response)  # still above the stock, but lower: allowed
    response = client.post(reverse("carts:item_update", args=[line.pk]), {"quantity": "2"}, follow=True)
    assert "left of Blue teapot" not in response.content.decode()


def test_a_sold_out_line_is_flagged_not_dropped(shopper, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    InventoryItem.objects.filter(variant=variant).update(quantity=0)
    html = shopper.get(reverse("carts:detail")).content.decode()
    assert "Blue teapot is sold out" in html and "Total for 2 items" in html


def test_htmx_changes_answer_with_the_cart_body_and_the_badge(client, variant):
    guest_add(client, variant, 1)
    line = line_of(client)

    response = client.post(reverse("carts:item_update", args=[line.pk]), {"quantity": "3"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="cart-body">') and "<html" not in html
    assert "Cart updated." in html and "60.00" in html and "Total for 3 items" in html
    assert f'<span id="cart-badge" hx-swap-oob="true">{badge(3)}</span>' in html

    response = client.post(reverse("carts:item_remove", args=[line.pk]), **HTMX)
    html = response.content.decode()
    assert "Your cart is empty." in html and '<span id="cart-badge" hx-swap-oob="true"></span>' in html

    # A refusal is shown in place too, the line unchanged.
    guest_add(client, variant, 1)
    line = line_of(client)
    html = client.post(reverse("carts:item_update", args=[line.pk]), {"quantity": "50"}, **HTMX).content.decode()
    assert "Only 10 left of Blue teapot; your cart cannot hold 50." in html and 'role="alert"' in html


def test_the_cart_forms_work_with_and_without_javascript(client, variant):
    guest_add(client, variant, 1)
    line = line_of(client)
    html = client.get(reverse("carts:detail")).content.decode()
    update = reverse("carts:item_update", args=[line.pk])
    assert f'method="post" action="{update}"' in html and f'hx-post="{update}"' in html
    assert "line actions: wishlists/saved carts add here" not in html  # a template comment
    # Without htmx: a redirect to the page.
    assert client.post(update, {"quantity": "2"})["Location"] == reverse("carts:detail")


def test_htmx_add_to_cart_answers_with_the_message_and_the_badge(client, variant):
    response = guest_add(client, variant, 2, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="cart-add-status"' in html and "it now holds 2 of this option" in html
    assert f'<span id="cart-badge" hx-swap-oob="true">{badge(2)}</span>' in html

    html = guest_add(client, variant, 50, **HTMX).content.decode()
    assert "Only 10 left of Blue teapot; your cart cannot hold 52." in html and "cart-badge" not in html


class TestCsrf:
    """A visitor's add without a token must come from this site; everything else keeps Django's check."""

    @pytest.fixture
    def browser(self):
        return Client(enforce_csrf_checks=True)

    def test_a_cross_site_add_is_refused(self, browser, variant):
        for headers in (
            {"HTTP_ORIGIN": "https://evil.example"},
            {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "http://testserver"},
            {"HTTP_REFERER": "https://evil.example/page"},
            {},
        ):
            assert guest_add(browser, variant, **headers).status_code == 403, headers
        assert not Cart.objects.exists()

    def test_a_same_site_add_without_a_token_goes_in(self, browser, variant):
        assert guest_add(browser, variant, HTTP_SEC_FETCH_SITE="same-origin").status_code == 302
        assert guest_add(browser, variant, HTTP_ORIGIN="http://testserver").status_code == 302
        assert CartItem.objects.get().quantity == 2

    def test_a_signed_in_customer_still_needs_the_token(self, browser, customer, variant):
        browser.force_login(customer)
        assert guest_add(browser, variant, HTTP_ORIGIN="http://testserver").status_code == 403
        assert not CartItem.objects.exists()

    def test_a_guest_with_a_session_gets_a_token_on_the_product_page(self, browser, variant):
        guest_add(browser, variant, HTTP_SEC_FETCH_SITE="same-origin")
        html = browser.get(reverse("catalog:product_detail", args=[variant.product_id])).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None
        page = reverse("catalog:product_detail", args=[variant.product_id])
        response = browser.post(
            reverse("carts:add"),
            {"variant_id": variant.pk, "quantity": 1, "next": page, "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status_code == 302 and CartItem.objects.get().quantity == 2
