"""The recovery link (restores the cart once; forged, expired or another customer's link: a 404
page), the order that converts an abandonment, and what staff see."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from carts.abandonment import (
    RECOVERY_LINK_SALT,
    abandoned_cart_order_placed,
    abandoned_cart_recover,
    carts_abandoned_detect,
    recovery_link_for,
    recovery_token_for,
)
from carts.admin_abandoned import abandoned_by_day
from carts.models import AbandonedCart, AbandonedCartStatus, Cart, CartItem, CartStatus
from carts.services import cart_add_item, cart_item_remove
from config.celery import app as celery_app
from inventory.models import InventoryItem
from orders.services import order_place, order_place_from_cart
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

from .abandoned_helpers import idle

pytestmark = pytest.mark.django_db


@pytest.fixture
def abandoned(customer, variant):
    cart = idle(cart_add_item(user=customer, variant_id=variant.pk, quantity=2).cart, 120)
    carts_abandoned_detect()
    return AbandonedCart.objects.get(cart=cart)


def link_path(abandoned: AbandonedCart) -> str:
    return reverse("carts:recover", kwargs={"token": recovery_token_for(abandoned)})


def test_the_link_is_absolute_and_signed(abandoned, settings):
    settings.SITE_URL = "https://shop.example"
    link = recovery_link_for(abandoned)
    assert link.startswith("https://shop.example/cart/recover/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert signing.loads(token, salt=RECOVERY_LINK_SALT) == {"abandoned_cart": abandoned.pk}


def test_a_visitor_signs_in_first_and_comes_back_to_the_link(client, abandoned):
    path = link_path(abandoned)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login")) and "next=" in response["Location"]
    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.OPEN


def test_the_link_recovers_the_cart_once(shopper, abandoned):
    response = shopper.get(link_path(abandoned), follow=True)

    assert response.redirect_chain[-1][0] == reverse("carts:detail")
    assert "Welcome back: your cart is ready for you." in response.content.decode()
    assert "Blue teapot" in response.content.decode()
    abandoned.refresh_from_db()
    first_recovery = abandoned.recovered_at
    assert abandoned.status == AbandonedCartStatus.RECOVERED and first_recovery is not None
    items_before = list(CartItem.objects.values("pk", "quantity"))

    again = shopper.get(link_path(abandoned), follow=True)

    assert again.status_code == 200 and "This is your cart as it is now." in again.content.decode()
    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.recovered_at) == (AbandonedCartStatus.RECOVERED, first_recovery)
    assert list(CartItem.objects.values("pk", "quantity")) == items_before


def test_an_emptied_cart_gets_its_lines_back_at_todays_prices_capped_by_stock(customer, variant, abandoned):
    other = VariantFactory(price=Decimal("3.00"), stock=10, product__title="Green cup")
    cart_add_item(user=customer, variant_id=other.pk, quantity=1)
    cart_item_remove(user=customer, item_id=CartItem.objects.get(variant=variant).pk)
    InventoryItem.objects.filter(variant=variant).update(quantity=1, reserved_quantity=0)  # one teapot left
    variant.price = Decimal("22.00")
    variant.save(update_fields=["price"])

    cart = abandoned_cart_recover(user=customer, token=recovery_token_for(abandoned))

    assert cart is not None and cart.pk == abandoned.cart_id  # still the active cart, emptied
    lines = {item.variant_id: (item.quantity, item.unit_price) for item in cart.items.all()}
    assert lines == {variant.pk: (1, Decimal("22.00")), other.pk: (1, Decimal("3.00"))}


def test_a_replaced_cart_gets_the_lines_copied_into_the_active_one(customer, variant, abandoned, shopper):
    Cart.objects.filter(pk=abandoned.cart_id).update(status=CartStatus.MERGED)  # it went elsewhere
    fresh = cart_add_item(user=customer, variant_id=VariantFactory(stock=5).pk, quantity=1).cart

    response = shopper.get(link_path(abandoned), follow=True)

    assert response.status_code == 200
    assert sorted(fresh.items.values_list("variant_id", "quantity")) == sorted(
        [(variant.pk, 2), (fresh.items.exclude(variant=variant).get().variant_id, 1)]
    )
    assert Cart.objects.get(pk=abandoned.cart_id).items.count() == 1  # the old one untouched


def test_a_still_active_cart_is_left_as_it_is(customer, variant, abandoned):
    before = list(CartItem.objects.values("pk", "quantity", "updated_at"))
    cart = abandoned_cart_recover(user=customer, token=recovery_token_for(abandoned))
    assert cart is not None and cart.pk == abandoned.cart_id
    assert list(CartItem.objects.values("pk", "quantity", "updated_at")) == before


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps({"abandoned_cart": 1}, salt="another.salt"),
        "eyJhYmFuZG9uZWRfY2FydCI6MX0:1tQ0Z8:forgedsignatureforgedsignature00000000000",
    ],
)
def test_a_forged_link_is_a_404_page_that_says_so(shopper, abandoned, token):
    response = shopper.get(reverse("carts:recover", kwargs={"token": token}))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.OPEN


def test_an_expired_link_is_a_404_page_that_says_so(shopper, abandoned, settings):
    token = recovery_token_for(abandoned)
    settings.CART_RECOVERY_LINK_DAYS = 7
    signer = signing.TimestampSigner(salt=RECOVERY_LINK_SALT)
    # The same token, signed eight days ago.
    old = int((timezone.now() - dt.timedelta(days=8)).timestamp())
    value = token.rsplit(":", 2)[0]
    expired = signer.sign(value)  # then re-stamped with an old time
    expired = f"{value}:{signing.b62_encode(old)}"
    expired = f"{expired}:{signer.signature(expired)}"

    response = shopper.get(reverse("carts:recover", kwargs={"token": expired}))

    assert response.status_code == 404 and "expired" in response.content.decode()
    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.OPEN


def test_another_customers_link_is_a_404(client, other_user, abandoned):
    client.force_login(other_user)
    response = client.get(link_path(abandoned))
    assert response.status_code == 404
    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.OPEN
    assert not Cart.objects.filter(customer=other_user).exists()


def test_the_order_placed_from_the_cart_records_the_recovered_value(customer, abandoned):
    abandoned_cart_recover(user=customer, token=recovery_token_for(abandoned))
    recovered_at = AbandonedCart.objects.get(pk=abandoned.pk).recovered_at

    placed = order_place_from_cart(user=customer, idempotency_key="recovered-1")

    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.CONVERTED
    assert abandoned.recovered_order == placed.order
    assert abandoned.recovered_value == placed.order.total_amount
    assert abandoned.recovered_at == recovered_at
    # Converted: the link changes nothing any more, and no e-mail goes.
    assert carts_abandoned_detect() == {"abandoned": 0, "emails": 0, "closed": 0}


def test_an_order_without_a_click_converts_an_open_abandonment(customer, abandoned):
    placed = order_place_from_cart(user=customer, idempotency_key="recovered-2")
    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.recovered_value, abandoned.recovered_at) == (
        AbandonedCartStatus.CONVERTED,
        placed.order.total_amount,
        None,
    )


def test_a_closed_abandonment_is_not_converted(customer, abandoned, variant):
    AbandonedCart.objects.filter(pk=abandoned.pk).update(status=AbandonedCartStatus.CLOSED)
    cart = Cart.objects.get(pk=abandoned.cart_id)
    order = order_place(user=customer, lines=[{"variant_id": variant.pk, "quantity": 1}]).order
    abandoned_cart_order_placed(cart=cart, order=order)
    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.CLOSED and abandoned.recovered_value is None


# --- staff -------------------------------------------------------------------------------------


def test_staff_see_the_summary_of_the_filtered_rows(staff_client, customer, abandoned, other_user, variant):
    guest_like = idle(cart_add_item(user=other_user, variant_id=variant.pk, quantity=1).cart, 120)
    carts_abandoned_detect()
    order_place_from_cart(user=customer, idempotency_key="staff-1")  # 2 teapots ordered: converted

    response = staff_client.get(reverse("admin:carts_abandonedcart_changelist"))

    assert response.status_code == 200
    summary = response.context["summary"]
    converted = AbandonedCart.objects.get(pk=abandoned.pk)
    assert summary["count"] == 2
    assert summary["rate"] == Decimal("50.0")
    assert summary["abandoned_value"] == Decimal("60.00")
    assert summary["recovered_value"] == converted.recovered_value
    assert summary["emails"] == 2
    page = response.content.decode()
    assert "Recovery summary" in page and "50.0%" in page
    assert "Abandoned and recovered carts per day, last 14 days" in page

    only_open = staff_client.get(reverse("admin:carts_abandonedcart_changelist"), {"status__exact": "open"})
    assert only_open.context["summary"]["count"] == 1
    assert only_open.context["summary"]["rate"] == Decimal("0.0")
    assert AbandonedCart.objects.get(cart=guest_like).status == AbandonedCartStatus.OPEN

    searched = staff_client.get(reverse("admin:carts_abandonedcart_changelist"), {"q": customer.email})
    assert searched.context["summary"]["count"] == 1


def test_the_chart_counts_each_day(abandoned):
    chart = abandoned_by_day(AbandonedCart.objects.all())
    assert len(chart) == 14
    assert chart[-1]["day"] == timezone.localdate()
    assert (chart[-1]["abandoned"], chart[-1]["recovered"], chart[-1]["abandoned_width"]) == (1, 0, 100)
    assert sum(day["abandoned"] for day in chart) == 1


def test_the_list_cannot_be_edited(staff_client, abandoned):
    assert staff_client.get(reverse("admin:carts_abandonedcart_add")).status_code == 403
    change = staff_client.get(reverse("admin:carts_abandonedcart_change", args=[abandoned.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content


# --- the beat task ---------------------------------------------------------------------------------


def test_the_beat_entry_names_the_registered_task_and_it_runs(abandoned, settings, customer, variant):
    entry = settings.CELERY_BEAT_SCHEDULE["detect-abandoned-carts"]
    celery_app.loader.import_default_modules()  # what a worker does at start-up: find every app's tasks
    assert entry["task"] in celery_app.tasks
    cart_add_item(user=customer, variant_id=variant.pk, quantity=1)  # came back: the abandonment closes
    other = funded_user()
    idle(cart_add_item(user=other, variant_id=variant.pk, quantity=1).cart, 120)

    result = celery_app.tasks[entry["task"]].delay().get()

    assert result == {"abandoned": 1, "emails": 1, "closed": 1}  # the first customer's cart changed
