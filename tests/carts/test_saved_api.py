"""The saved carts API: list (paginated, constant queries), save, read at today's prices, delete,
restore; strict input; customers only; another customer's saved cart a 404; and the daily task
that expires them (the beat entry and the registered Celery task)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from carts.models import CartItem, SavedCart
from carts.saved import saved_cart_create
from carts.selectors import active_carts
from carts.services import cart_add_item
from carts.tasks import saved_carts_expire_task
from config.celery import app as celery_app
from inventory.models import InventoryItem
from tests.factories.accounts import GuestFactory
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db

LIST = reverse("saved_carts_api:saved-cart-list")


def detail(pk):
    return reverse("saved_carts_api:saved-cart-detail", args=[pk])


def restore(pk):
    return reverse("saved_carts_api:saved-cart-restore", args=[pk])


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


@pytest.fixture
def saved(customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    return saved_cart_create(user=customer, name="Birthday", description="For May")


def test_saving_the_cart(api, customer, variant):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    response = api.post(LIST, {"name": "Party", "description": "Drinks"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    saved = SavedCart.objects.get(customer=customer)
    assert body["id"] == saved.pk and body["name"] == "Party" and body["description"] == "Drinks"
    assert (body["item_count"], body["total"], body["currency"]) == (2, "40.00", "USD")
    line = body["lines"][0]
    assert (line["variant_id"], line["quantity"], line["price_when_saved"], line["price_now"]) == (
        variant.pk,
        2,
        "20.00",
        "20.00",
    )
    assert line["price_changed"] is False and line["for_sale"] is True and line["available"] == 10
    # The cart stays.
    assert CartItem.objects.filter(cart__in=active_carts(user=customer)).get().quantity == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"name": "ok", "description": "d" * 1001}, "description"),
        ({"name": "ok", "description": None}, "description"),
        ({"name": "ok", "customer": 1}, "customer"),
        ({"name": "nul\u0000"}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, customer, variant, body, field):
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    response = api.post(LIST, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and field in response.json()["fields"]
    assert not SavedCart.objects.exists()


def test_an_empty_cart_or_too_many_saved_carts_is_a_409(api, customer, variant, settings):
    response = api.post(LIST, {"name": "Nothing"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "cart_empty"
    settings.SAVED_CARTS_MAX = 1
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    assert api.post(LIST, {"name": "One"}, format="json").status_code == 201
    response = api.post(LIST, {"name": "Two"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "saved_carts_limit"
    assert "at most 1 saved carts" in response.json()["message"]


def test_the_list_is_paginated_at_todays_prices(api, customer, variant, saved):
    variant.price = Decimal("25.00")
    variant.save(update_fields=["price"])
    body = api.get(LIST).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["name"], row["item_count"], row["total"]) == (saved.pk, "Birthday", 3, "75.00")
    assert set(row) == {"id", "name", "description", "saved_at", "expires_at", "item_count", "total", "currency"}


def test_the_list_costs_the_same_queries_for_any_number(api, customer, variant, saved):
    with CaptureQueriesContext(connection) as one:
        assert api.get(LIST).status_code == 200
    for n in range(5):
        cart_add_item(user=customer, variant_id=VariantFactory().pk, quantity=1)
        saved_cart_create(user=customer, name=f"More {n}")
    with CaptureQueriesContext(connection) as six:
        assert api.get(LIST).json()["count"] == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_detail_flags_price_changes(api, variant, saved):
    variant.price = Decimal("18.00")
    variant.save(update_fields=["price"])
    body = api.get(detail(saved.pk)).json()
    line = body["lines"][0]
    assert (line["price_when_saved"], line["price_now"], line["price_changed"], line["line_total"]) == (
        "20.00",
        "18.00",
        True,
        "54.00",
    )
    assert body["total"] == "54.00"


def test_restoring_says_what_was_restored_capped_and_skipped(api, customer, variant):
    gone = VariantFactory(product__title="Old mug")
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    cart_add_item(user=customer, variant_id=gone.pk, quantity=1)
    saved = saved_cart_create(user=customer, name="Mixed")
    InventoryItem.objects.filter(variant=variant).update(quantity=4)
    gone.product.status = "inactive"
    gone.product.save(update_fields=["status"])

    response = api.post(restore(saved.pk), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["restored"] == []
    assert body["capped"] == [{"title": "Blue teapot (Standard)", "quantity": 4}]
    assert body["skipped"] == [{"title": "Old mug (Standard)", "reason": "unavailable"}]
    assert body["cart_item_count"] == 5  # 4 teapots and the mug already in the cart
    assert "Old mug (Standard) is no longer for sale: it was left out." in body["messages"]


def test_deleting(api, saved):
    assert api.delete(detail(saved.pk)).status_code == 204
    assert not SavedCart.objects.exists()
    assert api.delete(detail(saved.pk)).status_code == 404


def test_an_expired_saved_cart_is_a_404(api, saved):
    SavedCart.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get(LIST).json()["count"] == 0
    assert api.get(detail(saved.pk)).status_code == 404
    assert api.post(restore(saved.pk)).status_code == 404


def test_another_customers_saved_cart_is_a_404(saved):
    intruder = APIClient()
    intruder.force_authenticate(funded_user())
    assert intruder.get(LIST).json()["count"] == 0
    for method, url in [("get", detail(saved.pk)), ("delete", detail(saved.pk)), ("post", restore(saved.pk))]:
        response = getattr(intruder, method)(url, format="json")
        assert response.status_code == 404 and response.json()["code"] == "not_found", (method, url)
        assert "Birthday" not in response.content.decode()
    assert SavedCart.objects.filter(pk=saved.pk).exists()


def test_a_huge_id_is_a_404(api):
    assert api.get(detail(10**20)).status_code == 404
    assert api.post(restore(10**20)).status_code == 404
    assert api.delete(detail(10**20)).status_code == 404


def test_customers_only(saved, client, variant):
    anonymous = APIClient()
    for method, url in [("get", LIST), ("post", LIST), ("get", detail(saved.pk)), ("post", restore(saved.pk))]:
        assert getattr(anonymous, method)(url, {"name": "x"}, format="json").status_code == 401
    # A guest's session (no sign-in) is no customer either.
    guest = GuestFactory()
    cart_add_item(guest=guest, variant_id=variant.pk, quantity=1)
    session = client.session
    session["cart_guest_id"] = guest.pk
    session.save()
    assert client.post(LIST, {"name": "x"}, content_type="application/json").status_code == 401
    assert SavedCart.objects.count() == 1


def test_a_jwt_client_can_save(customer, variant):
    from rest_framework_simplejwt.tokens import AccessToken

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    assert api.post(LIST, {"name": "By app"}, format="json").status_code == 201


# --- the daily task -------------------------------------------------------------------------------


def test_the_beat_schedule_runs_the_expiry_task_and_celery_knows_it():
    entry = settings.CELERY_BEAT_SCHEDULE["expire-saved-carts"]
    assert entry["task"] == "carts.tasks.saved_carts_expire_task" == saved_carts_expire_task.name
    celery_app.loader.import_default_modules()
    assert "carts.tasks.saved_carts_expire_task" in celery_app.tasks


def test_the_expiry_task_removes_expired_saved_carts(saved):
    SavedCart.objects.filter(pk=saved.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert saved_carts_expire_task.delay().get() == 1
    assert saved_carts_expire_task.delay().get() == 0
    assert not SavedCart.objects.exists()
