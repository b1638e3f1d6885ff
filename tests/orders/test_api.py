"""The orders API: the contract, every error code, strict input and other customers' orders."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import InventoryItem
from orders.models import Order, OrderState
from orders.services import order_transition
from payments.models import Wallet
from promotions.models import IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.commerce import CouponFactory, ProductFactory, VariantFactory

from .conftest import funded_user, ledger_sum, place

pytestmark = pytest.mark.django_db

ORDERS = reverse("orders_api:order-list")
POPULAR = reverse("orders_api:products-popular")


def detail(pk):
    return reverse("orders_api:order-detail", args=[pk])


def cancel(pk):
    return reverse("orders_api:order-cancel", args=[pk])


def post_order(api, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(ORDERS, body, format="json", **headers)


def assert_nothing_written(customer, variant, stock=10, balance="500.00"):
    assert Order.objects.count() == 0
    assert InventoryItem.objects.get(variant=variant).quantity == stock
    assert Wallet.objects.get(user=customer).balance == Decimal(balance) == ledger_sum(customer)


# --- POST orders/ ------------------------------------------------------------------------------


def test_place_returns_the_paid_order(api, customer, variant):
    issued = coupon_claim(coupon_id=CouponFactory(code="FIVE", discount_value=Decimal("5.00")).pk, user=customer)

    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 2}], "coupon_id": issued.pk})

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(customer=customer)
    assert body["id"] == order.pk and body["order_number"] == order.order_number
    assert body["status"] == "paid"
    assert body["items"] == [
        {
            "id": order.items.get().pk,
            "product_id": variant.product_id,
            "variant_id": variant.pk,
            "sku": variant.sku,
            "product_title": variant.product.title,
            "variant_name": variant.name,
            "quantity": 2,
            "unit_price": "20.00",
            "total_price": "40.00",
            "currency": "USD",
        }
    ]
    assert (body["subtotal"], body["discount_amount"], body["shipping_cost"], body["tax_amount"]) == (
        "40.00",
        "5.00",
        "0.00",
        "0.00",
    )
    assert body["total_amount"] == "35.00" and body["currency"] == "USD"
    coupon = {"id": issued.pk, "coupon_id": issued.coupon_id, "code": "FIVE", "name": issued.coupon.name}
    assert body["coupon"] == coupon
    assert body["created_at"] and body["paid_at"] and body["cancelled_at"] is None
    assert Wallet.objects.get(user=customer).balance == Decimal("465.00") == ledger_sum(customer)


def test_replay_with_the_same_key_returns_the_same_body(api, customer, variant):
    body = {"items": [{"variant_id": variant.pk, "quantity": 1}]}
    first = post_order(api, body, key="order-7f3a")
    again = post_order(api, body, key="order-7f3a")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert Wallet.objects.get(user=customer).balance == Decimal("480.00")


def test_the_placed_order_reads_the_same_as_its_replay_and_its_page(api, customer, variant):
    """The 201 is serialized from what checkout made; replays and GET read it back: one body."""
    second = VariantFactory(price=Decimal("7.25"), stock=5)
    issued = coupon_claim(coupon_id=CouponFactory(code="FIVE", discount_value=Decimal("5.00")).pk, user=customer)
    body = {"items": [{"variant_id": second.pk, "quantity": 3}, {"variant_id": variant.pk, "quantity": 2}]}
    body["coupon_id"] = issued.pk

    first = post_order(api, body, key="order-same-body")
    again = post_order(api, body, key="order-same-body")
    shown = api.get(reverse("orders_api:order-detail", args=[first.json()["id"]]))

    assert (first.status_code, again.status_code, shown.status_code) == (201, 200, 200)
    assert first.content == again.content == shown.content
    assert [line["variant_id"] for line in first.json()["items"]] == sorted([variant.pk, second.pk])


def test_same_key_with_another_body_is_422(api, customer, variant):
    post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}]}, key="k1")
    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 2}]}, key="k1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


@pytest.mark.parametrize("coupon_first", [False, True], ids=["coupon-added", "coupon-dropped"])
def test_same_key_same_lines_with_or_without_a_coupon_is_422(api, customer, variant, coupon_first):
    """The coupon is part of the request: the same key and lines with a coupon added (or dropped)
    is another request, never a replay of the first order."""
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)
    plain = {"items": [{"variant_id": variant.pk, "quantity": 1}]}
    with_coupon = {**plain, "coupon_id": issued.pk}
    first_body, second_body = (with_coupon, plain) if coupon_first else (plain, with_coupon)

    first = post_order(api, first_body, key="order-coupon")
    second = post_order(api, second_body, key="order-coupon")

    assert first.status_code == 201, first.json()
    assert second.status_code == 422, second.json()
    assert second.json()["code"] == "idempotency_key_reused"
    assert "Idempotent-Replayed" not in second
    order = Order.objects.get()
    issued.refresh_from_db()
    if coupon_first:
        assert (issued.used_at is not None, issued.order_id) == (True, order.pk)
        assert Wallet.objects.get(user=customer).balance == Decimal("485.00")
    else:
        assert (issued.used_at, issued.order_id, order.issued_coupon_id) == (None, None, None)
        assert Wallet.objects.get(user=customer).balance == Decimal("480.00")


def test_keys_are_per_customer(api, customer, other_customer, variant):
    from rest_framework.test import APIClient

    other = APIClient()
    other.force_authenticate(other_customer)
    body = {"items": [{"variant_id": variant.pk, "quantity": 1}]}

    assert post_order(api, body, key="same").status_code == 201
    assert post_order(other, body, key="same").status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "bad key with spaces", "ключ"])
def test_bad_idempotency_key_is_400(api, customer, variant, key):
    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}]}, key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "Idempotency-Key" in response.json()["fields"]
    assert_nothing_written(customer, variant)


def test_insufficient_stock_is_409(api, customer, variant):
    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 11}]})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock" and body["message"]
    assert body["extra"] == {"variant_id": variant.pk, "available": 10, "requested": 11}
    assert_nothing_written(customer, variant)


def test_insufficient_balance_is_402(variant):
    from rest_framework.test import APIClient

    poor = funded_user("5.00")
    api = APIClient()
    api.force_authenticate(poor)

    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}]})

    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_balance"
    assert_nothing_written(poor, variant, balance="5.00")


@pytest.mark.parametrize("case", ["not_mine", "used", "minimum", "unknown"])
def test_coupon_not_usable_is_400(api, customer, other_customer, variant, case):
    if case == "not_mine":
        coupon_id = coupon_claim(coupon_id=CouponFactory().pk, user=other_customer).pk
    elif case == "used":
        coupon_id = coupon_claim(coupon_id=CouponFactory().pk, user=customer).pk
        place(customer, VariantFactory(), coupon_ref=coupon_id)
    elif case == "minimum":
        coupon_id = coupon_claim(coupon_id=CouponFactory(minimum_order_value=Decimal("50.00")).pk, user=customer).pk
    else:
        coupon_id = 987654321
    orders_before = Order.objects.count()
    balance_before = Wallet.objects.get(user=customer).balance

    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}], "coupon_id": coupon_id})

    assert response.status_code == 400
    assert response.json()["code"] == "coupon_not_usable"
    assert Order.objects.count() == orders_before
    assert InventoryItem.objects.get(variant=variant).quantity == 10
    assert Wallet.objects.get(user=customer).balance == balance_before


def test_coupon_id_is_an_issued_coupons_id_never_a_coupons(api, customer, variant):
    """The coupon's own id is refused even from a customer who holds it: one number, one meaning."""
    coupon = CouponFactory(pk=2**40, discount_value=Decimal("5.00"))  # an id no issued coupon has
    issued = coupon_claim(coupon_id=coupon.pk, user=customer)

    refused = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}], "coupon_id": coupon.pk})

    assert refused.status_code == 400 and refused.json()["code"] == "coupon_not_usable"
    assert_nothing_written(customer, variant)
    assert IssuedCoupon.objects.get(pk=issued.pk).used_at is None

    placed = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}], "coupon_id": issued.pk})

    assert placed.status_code == 201
    assert placed.json()["coupon"]["id"] == issued.pk and placed.json()["coupon"]["coupon_id"] == coupon.pk
    assert placed.json()["discount_amount"] == "5.00"


def test_schema_says_coupon_id_is_an_issued_coupons_id(anonymous_api, db):
    schemas = anonymous_api.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    description = schemas["OrderCreateRequest"]["properties"]["coupon_id"]["description"]
    assert "issued coupons" in description and "GET me/coupons/" in description and "coupon.id" in description


@pytest.mark.parametrize("make", ["unknown", "inactive_product", "deleted_variant"])
def test_product_unavailable_is_409(api, customer, make):
    variant = VariantFactory()
    if make == "inactive_product":
        variant.product.status = "inactive"
        variant.product.save()
    elif make == "deleted_variant":
        variant.status = "discontinued"
        variant.save()
    variant_id = 99999999 if make == "unknown" else variant.pk

    response = post_order(api, {"items": [{"variant_id": variant_id, "quantity": 1}]})

    assert response.status_code == 409
    assert response.json()["code"] == "product_unavailable"
    assert response.json()["extra"] == {"variant_ids": [variant_id]}
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "lots"}, "items"),
        ({"items": [{"variant_id": 1}]}, "items"),
        ({"items": [{"quantity": 1}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 0}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": -1}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 1.5}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 1.0}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": "2"}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": "two"}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": True}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": None}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 100}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 10**30}]}, "items"),
        ({"items": [{"variant_id": 10**30, "quantity": 1}]}, "items"),
        ({"items": [{"variant_id": -5, "quantity": 1}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 1, "price": "0.01"}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 1, "unit_price": "0.01"}]}, "items"),
        ({"items": [{"variant_id": "VID", "quantity": 1}], "total_amount": "0.01"}, "total_amount"),
        ({"items": [{"variant_id": "VID", "quantity": 1}], "status": "delivered"}, "status"),
        ({"items": [{"variant_id": "VID", "quantity": 1}], "discount_amount": "20.00"}, "discount_amount"),
        ({"items": [{"variant_id": "VID", "quantity": 1}], "coupon_id": "1"}, "coupon_id"),
        ({"items": [{"variant_id": "VID", "quantity": 1}], "coupon_id": 0}, "coupon_id"),
        ({"items": [{"variant_id": "VID", "quantity": 1}] * 51}, "items"),
        ({"items": ["VID"]}, "items"),
    ],
)
def test_bad_bodies_are_400_with_fields(api, customer, variant, body, field):
    import json

    body = json.loads(json.dumps(body).replace('"VID"', str(variant.pk)))

    response = post_order(api, body)

    assert response.status_code == 400, response.json()
    payload = response.json()
    assert payload["code"] == "validation_error" and payload["message"]
    assert field in payload["fields"], payload
    assert_nothing_written(customer, variant)


def test_a_list_body_is_400(api, customer, variant):
    response = api.post(ORDERS, [{"variant_id": variant.pk, "quantity": 1}], format="json")
    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_malformed_json_is_400(api, customer, variant):
    response = api.post(ORDERS, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert_nothing_written(customer, variant)


def test_same_variant_twice_past_the_limit_is_invalid_order(api, customer, variant):
    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 60}] * 2})
    assert response.status_code == 400 and response.json()["code"] == "invalid_order"
    assert_nothing_written(customer, variant)


def test_duplicate_lines_are_merged(api, customer, variant):
    response = post_order(api, {"items": [{"variant_id": variant.pk, "quantity": 1}] * 3})
    assert response.status_code == 201
    assert [item["quantity"] for item in response.json()["items"]] == [3]


def test_anonymous_cannot_order(anonymous_api, variant):
    response = post_order(anonymous_api, {"items": [{"variant_id": variant.pk, "quantity": 1}]})
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")
    assert Order.objects.count() == 0


# --- GET orders/, orders/{id}/ -----------------------------------------------------------------


def test_list_is_mine_only_and_paginated(api, customer, other_customer, variant):
    mine = [place(customer, variant) for _ in range(3)]
    place(other_customer, variant)

    response = api.get(ORDERS, {"page_size": 2})

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 3 and body["next"] and body["previous"] is None
    assert [o["id"] for o in body["results"]] == [mine[2].pk, mine[1].pk]
    assert api.get(ORDERS, {"page": 99}).status_code == 404


def test_list_query_count_is_constant(api, customer, django_assert_max_num_queries):
    for _ in range(2):
        place(customer, VariantFactory())
    with django_assert_max_num_queries(10) as few:
        assert api.get(ORDERS).status_code == 200
    for _ in range(18):
        place(customer, VariantFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(ORDERS)
    assert len(response.json()["results"]) == 20


def test_detail_and_another_customers_order(api, customer, other_customer, variant):
    mine = place(customer, variant)
    theirs = place(other_customer, variant)

    assert api.get(detail(mine.pk)).json()["order_number"] == mine.order_number
    response = api.get(detail(theirs.pk))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api.get(detail(10**9)).status_code == 404
    assert api.get(detail(10**25)).status_code == 404  # beyond bigint
    assert api.post(cancel(10**25), format="json").status_code == 404


def test_anonymous_cannot_read_orders(anonymous_api, customer, variant):
    order = place(customer, variant)
    assert anonymous_api.get(ORDERS).status_code in (401, 403)
    assert anonymous_api.get(detail(order.pk)).status_code in (401, 403)
    # The refusal says only that: the error shape and nothing of the order or its customer.
    secrets = [order.order_number, customer.email, variant.sku, variant.product.title, str(order.total_amount)]
    for response in (anonymous_api.get(ORDERS), anonymous_api.get(detail(order.pk))):
        body = response.json()
        assert set(body) <= {"code", "message", "fields"}, body
        assert body["code"] == "not_authenticated" and isinstance(body["message"], str)
        assert not [secret for secret in secrets if secret in response.content.decode()], body


# --- POST orders/{id}/cancel/ ------------------------------------------------------------------


def test_cancel_refunds_and_returns_the_order(api, customer, variant):
    issued = coupon_claim(coupon_id=CouponFactory().pk, user=customer)
    order = place(customer, variant, 2, coupon_ref=issued.pk)

    response = api.post(cancel(order.pk), {"reason": "Ordered by mistake"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancelled_at"]
    assert InventoryItem.objects.get(variant=variant).quantity == 10
    assert Wallet.objects.get(user=customer).balance == Decimal("500.00") == ledger_sum(customer)
    assert IssuedCoupon.objects.get(pk=issued.pk).used_at is None
    again = api.post(cancel(order.pk), format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"


def test_cancel_shipped_is_a_request_202(api, customer, superuser, variant):
    order = place(customer, variant)
    for to in (OrderState.PROCESSING, OrderState.SHIPPED):
        order_transition(order_id=order.pk, to=to, actor=superuser)

    response = api.post(cancel(order.pk), {"reason": "Too slow", "reason_code": "too_slow"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["order"], body["status"], body["reason"], body["notes"]) == (
        order.pk,
        "requested",
        "too_slow",
        "Too slow",
    )
    order.refresh_from_db()
    assert order.status_id == OrderState.SHIPPED  # staff decide
    assert InventoryItem.objects.get(variant=variant).quantity == 9

    again = api.post(cancel(order.pk), format="json")
    assert again.status_code == 409 and again.json()["code"] == "cancellation_pending"


def test_cancel_delivered_is_409(api, customer, superuser, variant):
    order = place(customer, variant)
    for to in (OrderState.PROCESSING, OrderState.SHIPPED, OrderState.DELIVERED):
        order_transition(order_id=order.pk, to=to, actor=superuser)

    response = api.post(cancel(order.pk), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "not_cancellable",
        "message": "This order can no longer be cancelled.",
        "extra": {"status": "delivered"},
    }
    assert InventoryItem.objects.get(variant=variant).quantity == 9


def test_cancel_with_an_unknown_reason_code_is_400(api, customer, variant):
    order = place(customer, variant)
    response = api.post(cancel(order.pk), {"reason_code": "bored"}, format="json")
    assert response.status_code == 400 and "reason_code" in response.json()["fields"]
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID


def test_cancel_another_customers_order_is_404_and_changes_nothing(api, other_customer, variant):
    theirs = place(other_customer, variant)

    response = api.post(cancel(theirs.pk), format="json")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status_id == OrderState.PAID
    assert Wallet.objects.get(user=other_customer).balance == Decimal("480.00")


def test_cancel_refuses_unknown_fields(api, customer, variant):
    order = place(customer, variant)
    response = api.post(cancel(order.pk), {"refund_amount": "1000.00"}, format="json")
    assert response.status_code == 400 and "refund_amount" in response.json()["fields"]
    order.refresh_from_db()
    assert order.status_id == OrderState.PAID


# --- GET products/popular/ ---------------------------------------------------------------------


def test_popular_products_is_public_and_ranked(anonymous_api, customer):
    top = VariantFactory(product=ProductFactory(title="Top"), price=Decimal("3.00"), stock=20)
    second = VariantFactory(product=ProductFactory(title="Second"), stock=20)
    place(customer, top, 5)
    place(customer, second, 2)

    response = anonymous_api.get(POPULAR, {"days": 3, "limit": 5})

    assert response.status_code == 200
    body = response.json()
    assert [(e["product"]["title"], e["quantity"]) for e in body] == [("Top", 5), ("Second", 2)]
    product = body[0]["product"]
    assert product["id"] == top.product_id and product["price"] == "3.00" and product["currency"] == "USD"
    assert product["available_quantity"] == 15
    assert product["category"] == {
        "id": top.product.category_id,
        "name": top.product.category.name,
        "slug": top.product.category.slug,
    }


def test_popular_products_defaults_and_limit(anonymous_api, customer):
    for n in range(7):
        place(customer, VariantFactory(price=Decimal("1.00"), stock=20), n + 1)
    assert len(anonymous_api.get(POPULAR).json()) == 5
    assert len(anonymous_api.get(POPULAR, {"limit": 2}).json()) == 2


def test_popular_products_is_cached_until_a_cancellation(
    anonymous_api, api, customer, django_assert_num_queries, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_CACHE_ENABLED = True
    top = VariantFactory(product=ProductFactory(title="Top"), stock=20)
    second = VariantFactory(product=ProductFactory(title="Second"), stock=20)
    cancelled = place(customer, top, 5)
    place(customer, second, 2)
    assert [e["quantity"] for e in anonymous_api.get(POPULAR).json()] == [5, 2]
    place(customer, second, 1)  # a new sale may wait for the cache to expire

    with django_assert_num_queries(0):
        cached = anonymous_api.get(POPULAR)
    assert [e["quantity"] for e in cached.json()] == [5, 2]

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(cancel(cancelled.pk), {}, format="json").status_code == 200

    body = anonymous_api.get(POPULAR).json()  # a cancellation is never served from the cache
    assert [(e["product"]["title"], e["quantity"]) for e in body] == [("Second", 3)]


def test_popular_products_ignores_a_bad_token(anonymous_api, db):
    anonymous_api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert anonymous_api.get(POPULAR).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 91}, "days"),
        ({"days": "abc"}, "days"),
        ({"days": -1}, "days"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "1.5"}, "limit"),
        # Present is given: an empty value is not the default, nor "3.0" or " 3" a whole number.
        ({"days": ""}, "days"),
        ({"days": "3.0"}, "days"),
        ({"days": " 3"}, "days"),
        ({"limit": ""}, "limit"),
    ],
)
def test_popular_products_validates_days_and_limit(anonymous_api, db, params, field):
    response = anonymous_api.get(POPULAR, params)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and field in response.json()["fields"]


def test_popular_is_not_taken_for_a_product_id(anonymous_api, db):
    from django.urls import resolve

    assert resolve(POPULAR).func.view_class.__name__ == "PopularProductsApi"
