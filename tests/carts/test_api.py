"""The cart API: the cart at today's prices, adds and changes, checkout through the cart, who may
call it (JWT customers, session guests with CSRF), other owners' items, and strict input."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Guest
from carts.models import Cart, CartItem, CartStatus, DeviceType
from carts.services import cart_add_item
from catalog.models import ProductVariant
from inventory.models import InventoryItem
from orders.models import Order
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user
from tests.security.world import access_token

pytestmark = pytest.mark.django_db

CART = reverse("carts_api:cart")
CHECKOUT = reverse("orders_api:cart-checkout")
CSRF_SECRET = "a" * 32  # a CSRF cookie's secret; Django takes it as the header's token too


def item_url(pk: int) -> str:
    return reverse("carts_api:cart-item", args=[pk])


def jwt_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client


def browser() -> APIClient:
    """A session client as a browser is: cookies kept, CSRF checked."""
    return APIClient(enforce_csrf_checks=True)


def with_csrf(client: APIClient) -> dict[str, str]:
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return {"HTTP_X_CSRFTOKEN": CSRF_SECRET}


@pytest.fixture
def api(customer):
    return jwt_client(customer)


# --- GET cart/ -----------------------------------------------------------------------------------


def test_a_visitor_without_a_session_reads_an_empty_cart_and_gets_no_session():
    response = browser().get(CART)

    assert response.status_code == 200
    assert response.json() == {"id": None, "currency": "USD", "lines": [], "item_count": 0, "total": "0.00"}
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Guest.objects.count() == 0
    assert "no-store" in response["Cache-Control"]


def test_the_cart_shows_each_line_at_todays_price_with_its_stock(api, customer):
    teapot = VariantFactory(price=Decimal("20.00"), stock=3, product__title="Blue teapot", name="Large")
    mug = VariantFactory(price=Decimal("5.00"), stock=10, product__title="Mug")
    gone = VariantFactory(price=Decimal("7.50"), stock=1, product__title="Red bowl")
    for variant, quantity in ((teapot, 3), (mug, 2), (gone, 1)):
        cart_add_item(user=customer, variant_id=variant.pk, quantity=quantity)
    ProductVariant.objects.filter(pk=mug.pk).update(price=Decimal("6.00"))  # after it was added
    # Others bought since: one teapot and the last bowl went (the lines stay, flagged).
    InventoryItem.objects.filter(variant=teapot).update(quantity=2)
    InventoryItem.objects.filter(variant=gone).update(quantity=0)

    response = api.get(CART)

    assert response.status_code == 200
    body = response.json()
    cart = Cart.objects.get(customer=customer)
    items = {item.variant_id: item.pk for item in CartItem.objects.filter(cart=cart)}
    assert body["id"] == cart.pk and body["currency"] == "USD"
    assert body["item_count"] == 6
    assert body["total"] == "79.50"  # 3 x 20.00 + 2 x 6.00 + 7.50, today's prices
    assert body["lines"] == [
        {
            "id": items[teapot.pk],
            "variant_id": teapot.pk,
            "sku": teapot.sku,
            "product_id": teapot.product_id,
            "title": "Blue teapot",
            "variant_name": "Large",
            "quantity": 3,
            "unit_price": "20.00",
            "price": "20.00",
            "price_changed": False,
            "line_total": "60.00",
            "available": 2,
            "stock_problem": "Only 2 left of Blue teapot",
        },
        {
            "id": items[mug.pk],
            "variant_id": mug.pk,
            "sku": mug.sku,
            "product_id": mug.product_id,
            "title": "Mug",
            "variant_name": "Standard",
            "quantity": 2,
            "unit_price": "5.00",
            "price": "6.00",
            "price_changed": True,
            "line_total": "12.00",
            "available": 10,
            "stock_problem": None,
        },
        {
            "id": items[gone.pk],
            "variant_id": gone.pk,
            "sku": gone.sku,
            "product_id": gone.product_id,
            "title": "Red bowl",
            "variant_name": "Standard",
            "quantity": 1,
            "unit_price": "7.50",
            "price": "7.50",
            "price_changed": False,
            "line_total": "7.50",
            "available": 0,
            "stock_problem": "Red bowl is sold out",
        },
    ]


def _statements(client: APIClient, method: str, *args, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(*args, **kwargs)
    assert response.status_code < 300, response.content
    return len(queries)


def test_get_and_add_cost_the_same_statements_with_1_3_and_6_lines(customer):
    api = jwt_client(customer)
    variants = VariantFactory.create_batch(6)
    api.get(CART)  # the sign-in's "still active" answer is cached from here on, as on every later call
    gets, adds = [], []
    for size in (1, 3, 6):
        while (count := CartItem.objects.filter(cart__customer=customer).count()) < size:
            cart_add_item(user=customer, variant_id=variants[count].pk, quantity=1)
        gets.append(_statements(api, "get", CART))
        # One more of a line the cart holds (the cart exists: its first add also makes the cart).
        adds.append(_statements(api, "post", CART, {"variant_id": variants[0].pk, "quantity": 1}))

    assert len(set(gets)) == 1, gets
    assert len(set(adds)) == 1, adds


# --- POST cart/ ------------------------------------------------------------------------------------


def test_a_customer_adds_and_adds_again(api, customer, variant):
    first = api.post(CART, {"variant_id": variant.pk, "quantity": 2}, format="json")
    again = api.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")

    assert first.status_code == again.status_code == 201
    assert [(line["variant_id"], line["quantity"]) for line in again.json()["lines"]] == [(variant.pk, 3)]
    assert again.json()["total"] == "60.00"
    cart = Cart.objects.get(customer=customer)
    # An app's cart says so (the abandonment reports read it).
    assert (cart.device_type, cart.referral_source, cart.exit_page) == (DeviceType.APP, "app", CART)


def test_a_variant_not_for_sale_is_refused_by_the_service(api, variant):
    variant.product.status = "draft"
    variant.product.save(update_fields=["status"])

    response = api.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "cart_item_invalid"
    assert not CartItem.objects.exists()


def test_too_many_of_one_item_together_is_refused(api):
    top = settings.ORDER_MAX_LINE_QUANTITY
    variant = VariantFactory(stock=top + 10)  # the line limit, not the stock, refuses
    assert api.post(CART, {"variant_id": variant.pk, "quantity": top}, format="json").status_code == 201

    response = api.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "cart_item_invalid"
    assert CartItem.objects.get().quantity == top


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 1}, "variant_id"),
        ({"variant_id": "{v}"}, "quantity"),
        ({"variant_id": "1", "quantity": 1}, "variant_id"),
        ({"variant_id": "{v}", "quantity": "2"}, "quantity"),
        ({"variant_id": "{v}", "quantity": 1.5}, "quantity"),
        ({"variant_id": "{v}", "quantity": True}, "quantity"),
        ({"variant_id": "{v}", "quantity": 0}, "quantity"),
        ({"variant_id": "{v}", "quantity": -3}, "quantity"),
        ({"variant_id": "{v}", "quantity": 10**30}, "quantity"),
        ({"variant_id": -1, "quantity": 1}, "variant_id"),
        ({"variant_id": 2**64, "quantity": 1}, "variant_id"),
        ({"variant_id": None, "quantity": 1}, "variant_id"),
        ({"variant_id": "{v}", "quantity": 1, "unit_price": "0.01"}, "unit_price"),
    ],
)
def test_bad_add_input_is_a_400_naming_the_field(api, variant, body, field):
    body = {k: (variant.pk if v == "{v}" else v) for k, v in body.items()}

    response = api.post(CART, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"{", b"null", b'{"variant_id": NaN, "quantity": 1}'])
def test_a_body_that_is_not_an_object_is_a_400(api, raw):
    response = api.generic("POST", CART, raw, content_type="application/json")

    assert response.status_code == 400


def test_an_unknown_variant_is_a_400(api):
    response = api.post(CART, {"variant_id": 987654321, "quantity": 1}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "cart_item_invalid"


# --- guests (session clients) -------------------------------------------------------------------


def test_a_visitors_first_add_makes_a_guest_cart_in_a_new_session(variant):
    client = browser()

    first = client.post(CART, {"variant_id": variant.pk, "quantity": 2}, format="json")

    assert first.status_code == 201, first.content
    assert settings.SESSION_COOKIE_NAME in first.cookies  # Set-Cookie: the guest's session
    guest = Guest.objects.get()
    cart = Cart.objects.get(guest=guest)
    assert cart.customer_id is None and first.json()["id"] == cart.pk
    read = client.get(CART)
    assert [(line["variant_id"], line["quantity"]) for line in read.json()["lines"]] == [(variant.pk, 2)]


def test_a_guest_session_write_without_csrf_is_refused(variant):
    client = browser()
    client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")  # the session starts
    item = CartItem.objects.get()

    forged = [
        client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json"),
        client.patch(item_url(item.pk), {"quantity": 5}, format="json"),
        client.delete(item_url(item.pk)),
    ]

    assert [r.status_code for r in forged] == [403, 403, 403]
    assert all(r.json()["code"] == "permission_denied" and "CSRF" in r.json()["message"] for r in forged)
    item.refresh_from_db()
    assert (item.quantity, item.deleted_at) == (1, None)


def test_a_guest_session_write_with_the_csrf_token_goes_through(variant):
    client = browser()
    client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")
    item = CartItem.objects.get()
    token = with_csrf(client)

    assert client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json", **token).status_code == 201
    changed = client.patch(item_url(item.pk), {"quantity": 4}, format="json", **token)
    assert changed.status_code == 200 and changed.json()["lines"][0]["quantity"] == 4
    assert client.delete(item_url(item.pk), **token).status_code == 204
    assert client.get(CART).json()["lines"] == []


def test_a_signed_in_session_needs_csrf_too(customer, variant):
    client = browser()
    client.force_login(customer)

    refused = client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")
    accepted = client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json", **with_csrf(client))

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert Cart.objects.get(customer=customer).items.get().quantity == 1


def test_a_jwt_client_is_the_customer_whatever_session_cookie_it_sends(customer, variant):
    guest_browser = browser()
    guest_browser.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")
    api = jwt_client(customer)
    api.cookies = guest_browser.cookies  # the guest's session cookie rides along: not used, no CSRF asked

    response = api.post(CART, {"variant_id": variant.pk, "quantity": 3}, format="json")

    assert response.status_code == 201
    assert Cart.objects.get(customer=customer).items.get().quantity == 3
    assert Cart.objects.get(guest__isnull=False).items.get().quantity == 1


# --- PATCH / DELETE cart/items/{id}/ ------------------------------------------------------------------


def test_patch_sets_the_quantity_and_zero_removes(api, customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    changed = api.patch(item_url(item.pk), {"quantity": 5}, format="json")
    assert changed.status_code == 200
    assert changed.json()["lines"][0]["quantity"] == 5 and changed.json()["total"] == "100.00"

    removed = api.patch(item_url(item.pk), {"quantity": 0}, format="json")
    assert removed.status_code == 200 and removed.json()["lines"] == []
    assert CartItem.all_objects.get(pk=item.pk).deleted_at is not None


def test_delete_takes_it_out_then_it_is_gone(api, customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    assert api.delete(item_url(item.pk)).status_code == 204
    again = api.delete(item_url(item.pk))
    assert again.status_code == 404 and again.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "body", [{}, {"quantity": -1}, {"quantity": "3"}, {"quantity": 10**9}, {"quantity": 1, "x": 1}]
)
def test_bad_quantity_is_a_400(api, customer, variant, body):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    response = api.patch(item_url(item.pk), body, format="json")

    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    item.refresh_from_db()
    assert item.quantity == 1


def test_another_customers_item_is_a_404_and_stays(customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    other = jwt_client(funded_user())

    answers = [other.patch(item_url(item.pk), {"quantity": 9}, format="json"), other.delete(item_url(item.pk))]

    assert [r.status_code for r in answers] == [404, 404]
    item.refresh_from_db()
    assert (item.quantity, item.deleted_at) == (2, None)


def test_a_guest_and_a_customer_cannot_reach_each_others_items(customer, variant):
    own = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    guest = browser()
    guest.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")
    guests_item = CartItem.objects.get(cart__guest__isnull=False)
    token = with_csrf(guest)

    assert guest.patch(item_url(own.pk), {"quantity": 9}, format="json", **token).status_code == 404
    assert guest.delete(item_url(own.pk), **token).status_code == 404
    assert jwt_client(customer).delete(item_url(guests_item.pk)).status_code == 404
    # A visitor with no cart at all has no items either.
    assert browser().delete(item_url(own.pk)).status_code == 404
    assert CartItem.objects.filter(pk__in=[own.pk, guests_item.pk], deleted_at__isnull=True).count() == 2


def test_an_item_of_a_completed_cart_is_a_404(api, customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    assert api.post(CHECKOUT, {}, format="json").status_code == 201

    assert api.patch(item_url(item.pk), {"quantity": 2}, format="json").status_code == 404


# --- POST cart/checkout/ -----------------------------------------------------------------------------


def test_checkout_orders_the_cart_and_closes_it(api, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)

    response = api.post(CHECKOUT, {"special_instructions": "Leave it at the door"}, format="json")

    assert response.status_code == 201, response.content
    order = Order.objects.get(customer=customer)
    body = response.json()
    assert body["id"] == order.pk and body["status"] == "paid"
    assert [(line["variant_id"], line["quantity"]) for line in body["items"]] == [(variant.pk, 2)]
    assert body["special_instructions"] == "Leave it at the door"
    assert Cart.objects.get(customer=customer).status == CartStatus.COMPLETED
    assert InventoryItem.objects.get(variant=variant).quantity == 8
    assert api.get(CART).json()["lines"] == []


def test_checkout_with_a_key_replays_and_refuses_the_key_with_another_cart(api, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    key = {"HTTP_IDEMPOTENCY_KEY": "cart-checkout-1"}

    first = api.post(CHECKOUT, {}, format="json", **key)
    replay = api.post(CHECKOUT, {}, format="json", **key)

    assert first.status_code == 201
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    # The same key for a new cart with other lines is another request.
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    reused = api.post(CHECKOUT, {}, format="json", **key)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Order.objects.filter(customer=customer).count() == 1
    assert Cart.objects.get(customer=customer, status=CartStatus.ACTIVE).items.get().quantity == 3


def test_checkout_of_an_empty_cart_is_a_400(api):
    response = api.post(CHECKOUT, {}, format="json")

    assert response.status_code == 400 and response.json()["code"] == "cart_empty"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"coupon_id": "1"}, "coupon_id"),
        ({"shipping_address_id": -5}, "shipping_address_id"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"special_instructions": 5}, "special_instructions"),
        ({"special_instructions": "x" * 2001}, "special_instructions"),
        ({"items": [{"variant_id": 1, "quantity": 1}]}, "items"),
        ({"total": "0.01"}, "total"),
    ],
)
def test_bad_checkout_input_is_a_400_and_orders_nothing(api, customer, variant, body, field):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)

    response = api.post(CHECKOUT, body, format="json")

    assert response.status_code == 400 and field in response.json()["fields"]
    assert not Order.objects.exists()


def test_another_customers_address_is_a_field_error(api, customer, variant):
    from tests.factories.accounts import CustomerFactory

    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    theirs = CustomerFactory().user.addresses.first()
    assert theirs is not None

    response = api.post(CHECKOUT, {"shipping_address_id": theirs.pk}, format="json")

    assert response.status_code == 400 and "shipping_address_id" in response.json()["fields"]
    assert not Order.objects.exists()


def test_a_guest_is_asked_to_sign_in_to_check_out_and_keeps_the_cart(variant):
    client = browser()
    client.post(CART, {"variant_id": variant.pk, "quantity": 1}, format="json")

    response = client.post(CHECKOUT, {}, format="json", **with_csrf(client))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Sign in" in response.json()["message"] and "cart is kept" in response.json()["message"]
    assert not Order.objects.exists()
    assert client.get(CART).json()["item_count"] == 1
    assert browser().post(CHECKOUT, {}, format="json").status_code == 401  # no session at all


# --- the benchmark's probe (bench/cart_probe.py) -------------------------------------------------


def test_the_benchmarks_statement_probe_finds_the_counts_constant(customer):
    from bench.cart_probe import cart_statements

    api = jwt_client(customer)
    api.get(CART)  # the sign-in's "still active" answer cached, as in a running server

    def send(method, path, body):
        with CaptureQueriesContext(connection) as queries:
            response = api.generic(method, path, json.dumps(body) if body else "", content_type="application/json")
        return response.status_code, len(queries)

    result = cart_statements(send, [v.pk for v in VariantFactory.create_batch(6)])

    assert result["constant"] is True, result
    assert len(result["counts"]["get"]) == len(result["counts"]["post"]) == 3


def test_the_probe_says_when_a_count_grows_with_the_lines():
    from bench.cart_probe import cart_statements

    lines = {"n": 0}

    def send(method, path, body):  # a cart whose read costs a statement per line
        if method == "POST" and body["variant_id"] != 1:
            lines["n"] += 1
            return 201, 5
        return (200, 2 + lines["n"]) if method == "GET" else (201, 5)

    result = cart_statements(send, [1, 2, 3, 4, 5, 6])

    assert result["constant"] is False and result["counts"]["post"] == [5, 5, 5]
