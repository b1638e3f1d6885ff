"""The abandoned-cart task: which carts it records, what it records, the recovery e-mails it
queues (how many, how far apart, to whom) and when it stops."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import UserPreferences
from carts.abandonment import DEFAULT_RECOVERY_RATE, carts_abandoned_detect
from carts.models import AbandonedCart, AbandonedCartStatus, Cart, CartSnapshot, DeviceType, SnapshotType
from carts.services import cart_add_item, cart_item_remove, cart_item_set_quantity
from catalog.models import ProductVariant
from common.models import DeliveryStatus, Notification
from common.outbox import notification_send
from orders.services import order_place
from tests.factories.accounts import GuestFactory
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

from .abandoned_helpers import earlier, idle, recovery_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def left_cart(customer, variant):
    """Two teapots in the customer's cart, last touched two hours ago (the threshold is 60 minutes)."""
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=2)
    return idle(item.cart, minutes=120)


def test_a_cart_idle_past_the_threshold_is_recorded_with_its_value_at_todays_prices(customer, variant, left_cart):
    Cart.objects.filter(pk=left_cart.pk).update(
        exit_page="/products/7/", device_type=DeviceType.MOBILE, referral_source="newsletter"
    )
    ProductVariant.objects.filter(pk=variant.pk).update(price=Decimal("25.00"))  # the price moved since

    result = carts_abandoned_detect()

    assert result == {"abandoned": 1, "emails": 1, "closed": 0}
    abandoned = AbandonedCart.objects.get(cart=left_cart)
    assert (abandoned.status, abandoned.customer, abandoned.item_count) == (AbandonedCartStatus.OPEN, customer, 2)
    assert abandoned.conversion_value == Decimal("50.00")
    # No history yet: the default rate.
    assert abandoned.estimated_recovery_value == Decimal("50.00") * DEFAULT_RECOVERY_RATE
    assert (abandoned.exit_page, abandoned.device_type, abandoned.referral_source) == (
        "/products/7/",
        DeviceType.MOBILE,
        "newsletter",
    )
    assert abandoned.currency == left_cart.currency
    snapshot = CartSnapshot.objects.get(cart=left_cart, snapshot_type=SnapshotType.ABANDONED)
    assert snapshot.total_amount == Decimal("50.00")
    assert [line["quantity"] for line in snapshot.snapshot_data["lines"]] == [2]


def test_the_estimate_uses_the_shops_recovery_rate_so_far(customer, variant, left_cart, other_user):
    other_variant = VariantFactory(price=Decimal("10.00"), stock=5)
    earlier_cart = idle(cart_add_item(user=other_user, variant_id=other_variant.pk, quantity=1).cart, 120)
    carts_abandoned_detect()
    # Of the two recorded so far, one came back: 50%.
    AbandonedCart.objects.filter(cart=earlier_cart).update(status=AbandonedCartStatus.RECOVERED)
    newest = idle(cart_add_item(user=funded_user(), variant_id=variant.pk, quantity=1).cart, 120)

    carts_abandoned_detect()

    assert AbandonedCart.objects.get(cart=newest).estimated_recovery_value == Decimal("10.00")


@pytest.mark.parametrize(
    ("idle_minutes", "threshold", "recorded"), [(59, 60, 0), (61, 60, 1), (20, 15, 1), (10, 15, 0)]
)
def test_only_carts_idle_longer_than_the_setting_are_recorded(
    customer, variant, settings, idle_minutes, threshold, recorded
):
    settings.CART_ABANDONED_AFTER_MINUTES = threshold
    idle(cart_add_item(user=customer, variant_id=variant.pk, quantity=1).cart, idle_minutes)

    assert carts_abandoned_detect()["abandoned"] == recorded
    assert AbandonedCart.objects.count() == recorded


def test_a_guest_cart_is_recorded_without_an_email(variant):
    guest = GuestFactory()
    cart = idle(cart_add_item(guest=guest, variant_id=variant.pk, quantity=1).cart, 120)

    assert carts_abandoned_detect() == {"abandoned": 1, "emails": 0, "closed": 0}

    abandoned = AbandonedCart.objects.get(cart=cart)
    assert abandoned.customer is None and abandoned.recovery_attempts == 0
    assert Notification.objects.count() == 0


def test_empty_carts_and_emptied_carts_are_ignored(customer, variant):
    item = cart_add_item(user=customer, variant_id=variant.pk, quantity=1)
    cart_item_remove(user=customer, item_id=item.pk)  # the cart is still active, with no live item
    idle(item.cart, 120)

    assert carts_abandoned_detect() == {"abandoned": 0, "emails": 0, "closed": 0}
    assert AbandonedCart.objects.count() == 0


def test_running_the_task_again_changes_nothing(left_cart):
    carts_abandoned_detect()
    before = list(AbandonedCart.objects.values())

    assert carts_abandoned_detect() == {"abandoned": 0, "emails": 0, "closed": 0}

    assert list(AbandonedCart.objects.values()) == before
    assert CartSnapshot.objects.filter(snapshot_type=SnapshotType.ABANDONED).count() == 1
    assert recovery_emails(left_cart) == [f"cart:{left_cart.pk}:recovery:1"]


def test_the_first_email_lists_the_items_with_a_signed_link_and_the_preferences_link(
    customer, variant, left_cart, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://shop.example"
    with django_capture_on_commit_callbacks(execute=True):
        carts_abandoned_detect()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert message.subject == "You left something in your cart"
    assert "2 x Blue teapot" in message.body and "40.00" in message.body
    assert "https://shop.example/cart/recover/" in message.body
    assert "https://shop.example/accounts/preferences/" in message.body
    abandoned = AbandonedCart.objects.get(cart=left_cart)
    assert (abandoned.recovery_attempts, abandoned.last_recovery_attempt_at is not None) == (1, True)


def test_emails_are_spaced_and_stop_at_the_maximum(left_cart, settings):
    settings.CART_RECOVERY_EMAILS_MAX = 3
    settings.CART_RECOVERY_EMAIL_SPACING_HOURS = 24
    carts_abandoned_detect()
    abandoned = AbandonedCart.objects.get(cart=left_cart)

    earlier(abandoned, hours=23)  # not yet a day since the first
    assert carts_abandoned_detect()["emails"] == 0
    earlier(abandoned, hours=1.5)
    assert carts_abandoned_detect()["emails"] == 1
    assert carts_abandoned_detect()["emails"] == 0  # just sent
    earlier(abandoned, hours=25)
    assert carts_abandoned_detect()["emails"] == 1
    earlier(abandoned, hours=25)
    assert carts_abandoned_detect()["emails"] == 0  # three sent: the most there are

    assert recovery_emails(left_cart) == [f"cart:{left_cart.pk}:recovery:{n}" for n in (1, 2, 3)]
    abandoned.refresh_from_db()
    assert (abandoned.recovery_attempts, abandoned.status) == (3, AbandonedCartStatus.OPEN)


def test_no_email_after_the_customer_ordered(customer, variant, left_cart):
    carts_abandoned_detect()
    abandoned = AbandonedCart.objects.get(cart=left_cart)
    earlier(abandoned, hours=30)
    order_place(user=customer, lines=[{"variant_id": VariantFactory(stock=3).pk, "quantity": 1}])

    assert carts_abandoned_detect() == {"abandoned": 0, "emails": 0, "closed": 1}

    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.recovery_attempts) == (AbandonedCartStatus.CLOSED, 1)
    assert recovery_emails(left_cart) == [f"cart:{left_cart.pk}:recovery:1"]


def test_no_email_after_the_cart_was_emptied(customer, left_cart):
    carts_abandoned_detect()
    abandoned = AbandonedCart.objects.get(cart=left_cart)
    earlier(abandoned, hours=30)
    cart_item_remove(user=customer, item_id=left_cart.items.get().pk)

    assert carts_abandoned_detect() == {"abandoned": 0, "emails": 0, "closed": 1}
    abandoned.refresh_from_db()
    assert abandoned.status == AbandonedCartStatus.CLOSED


def test_no_email_after_the_cart_was_changed(customer, left_cart):
    carts_abandoned_detect()
    abandoned = AbandonedCart.objects.get(cart=left_cart)
    earlier(abandoned, hours=30)
    cart_item_set_quantity(user=customer, item_id=left_cart.items.get().pk, quantity=1)

    assert carts_abandoned_detect() == {"abandoned": 0, "emails": 0, "closed": 1}
    assert recovery_emails(left_cart) == [f"cart:{left_cart.pk}:recovery:1"]


def test_a_queued_email_whose_cart_changed_before_it_went_is_skipped(
    customer, left_cart, django_capture_on_commit_callbacks
):
    carts_abandoned_detect()  # queued; its send is held back (no on-commit run)
    cart_item_set_quantity(user=customer, item_id=left_cart.items.get().pk, quantity=1)
    notification = Notification.objects.get(kind="cart_recovery")
    assert notification_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SKIPPED and mail.outbox == []


def test_no_email_when_the_customer_opted_out(customer, left_cart):
    UserPreferences.objects.update_or_create(user=customer, defaults={"email_notifications": False})

    assert carts_abandoned_detect() == {"abandoned": 1, "emails": 0, "closed": 0}

    abandoned = AbandonedCart.objects.get(cart=left_cart)
    # Not counted as an attempt: nothing was sent.
    assert (abandoned.recovery_attempts, abandoned.last_recovery_attempt_at) == (0, None)
    assert recovery_emails(left_cart) == []
    # Turned back on: the first reminder goes at the next run.
    UserPreferences.objects.filter(user=customer).update(email_notifications=True)
    assert carts_abandoned_detect()["emails"] == 1


def test_marketing_emails_off_does_not_stop_the_reminder(customer, left_cart):
    # The reminder is an optional update about the customer's own cart, not an offer.
    UserPreferences.objects.update_or_create(user=customer, defaults={"marketing_emails": False})

    assert carts_abandoned_detect()["emails"] == 1
