"""The Carts section of seed 003: carts and their items, wishlists and their items, the moves
between the two, cart snapshots, saved carts and abandoned carts.

A cart belongs to a customer (a signed-in `User`) or to a `Guest` (a visitor's browser session),
never both; signing in merges a guest's cart into the customer's (`carts.services.cart_merge`).
The contract between the parts is written in `carts/CARTS.md`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import SoftDeleteModel, TimeStampedModel, bounded_text_field
from common.money import currency_field, money_field


class CartStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"  # checked out: an order was placed from it
    ABANDONED = "abandoned", "Abandoned"  # unused: an abandonment is an `AbandonedCart` row, the cart stays active
    MERGED = "merged", "Merged"  # a guest's cart after it went into the customer's on sign-in
    SAVED = "saved", "Saved"  # the copy a `SavedCart` keeps (never the active cart)


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", _("Desktop")
    MOBILE = "mobile", _("Mobile")
    TABLET = "tablet", _("Tablet")
    APP = "app", _("Mobile app (API)")
    UNKNOWN = "unknown", _("Unknown")


class Cart(TimeStampedModel, SoftDeleteModel):
    """A customer's or a guest's cart. The seed makes the customer unique; since a checked-out
    cart is kept (completed) and a new one begins, the rule is "exactly one *active* cart per
    owner", two partial unique constraints. `total_amount` is the sum of the items' `total_price`,
    kept by the services in the same transaction as every change of an item.

    `updated_at` is the cart's last activity (every service that changes it saves it): the
    abandoned-cart task reads idleness from it. `exit_page`, `device_type` and `referral_source`
    say where the owner last touched the cart from; an abandonment copies them.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="carts", null=True, blank=True
    )
    guest = models.ForeignKey("accounts.Guest", on_delete=models.CASCADE, related_name="carts", null=True, blank=True)
    status = models.CharField(max_length=16, choices=CartStatus.choices, default=CartStatus.ACTIVE, db_index=True)
    total_amount = money_field(default=0)
    currency = currency_field()
    exit_page = models.CharField(max_length=512, blank=True)
    device_type = models.CharField(max_length=8, choices=DeviceType.choices, default=DeviceType.UNKNOWN)
    referral_source = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="active", deleted_at__isnull=True),
                name="cart_one_active_per_customer",
            ),
            models.UniqueConstraint(
                fields=["guest"],
                condition=Q(status="active", deleted_at__isnull=True),
                name="cart_one_active_per_guest",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False, guest__isnull=True) | Q(customer__isnull=True, guest__isnull=False),
                name="cart_one_owner",
            ),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="cart_total_not_negative"),
        ]
        indexes = [
            # The abandoned-cart task's scan: active carts by last activity.
            models.Index(
                fields=["updated_at"],
                condition=Q(status="active", deleted_at__isnull=True),
                name="cart_active_by_activity",
            ),
        ]

    def __str__(self) -> str:
        owner = f"customer {self.customer_id}" if self.customer_id else f"guest {self.guest_id}"
        return f"Cart {self.pk} of {owner} ({self.status})"


class CartItem(TimeStampedModel, SoftDeleteModel):
    """One product variant in a cart. `unit_price` is the price when it was last added or
    changed; checkout always charges the catalogue's price of the moment (the cart page says so
    when the two differ). Removing an item soft-deletes it."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.PROTECT, related_name="cart_items")
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    total_price = models.GeneratedField(
        expression=F("quantity") * F("unit_price"),
        output_field=models.DecimalField(max_digits=14, decimal_places=2),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "variant"],
                condition=Q(deleted_at__isnull=True),
                name="cart_item_one_line_per_variant",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="cart_item_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x variant {self.variant_id}"


# --- wishlists ----------------------------------------------------------------------------------


class WishlistVisibility(models.TextChoices):
    PRIVATE = "private", _("Private: only you")
    SHARED = "shared", _("Anyone with the link")
    PUBLIC = "public", _("Public")


class Wishlist(TimeStampedModel, SoftDeleteModel):
    """A customer's named list of things to buy later; several per customer, one default (a
    partial unique constraint). A shared or public list is readable by anyone through its
    `share_token` link (`/wishlists/shared/<token>/`); a private one is a 404 to anyone else."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlists")
    name = models.CharField(max_length=100)
    description = bounded_text_field(1000, blank=True)
    visibility = models.CharField(max_length=8, choices=WishlistVisibility.choices, default=WishlistVisibility.PRIVATE)
    is_default = models.BooleanField(default=False)
    # The unguessable part of the shared link (secrets.token_urlsafe); a new one revokes the old link.
    share_token = models.CharField(max_length=43, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True, deleted_at__isnull=True),
                name="wishlist_one_default_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WishlistItem(TimeStampedModel, SoftDeleteModel):
    """A variant on a wishlist, with the customer's notes and priority (1 lowest … 5 highest)."""

    wishlist = models.ForeignKey(Wishlist, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.PROTECT, related_name="wishlist_items")
    notes = bounded_text_field(500, blank=True)
    priority = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wishlist", "variant"],
                condition=Q(deleted_at__isnull=True),
                name="wishlist_item_one_per_variant",
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="wishlist_item_priority_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"variant {self.variant_id} on wishlist {self.wishlist_id}"


class TransferType(models.TextChoices):
    WISHLIST_TO_CART = "wishlist_to_cart", _("Wishlist to cart")
    CART_TO_WISHLIST = "cart_to_wishlist", _("Cart to wishlist")


class CartWishlistTransfer(models.Model):
    """One move of an item between a wishlist and the cart, either way (written by the move
    services only; read-only everywhere)."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_transfers")
    from_wishlist_item = models.ForeignKey(
        WishlistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="transfers_out"
    )
    to_cart_item = models.ForeignKey(
        CartItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="transfers_in"
    )
    from_cart_item = models.ForeignKey(
        CartItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="transfers_out"
    )
    to_wishlist_item = models.ForeignKey(
        WishlistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="transfers_in"
    )
    transfer_type = models.CharField(max_length=16, choices=TransferType.choices)
    quantity = models.PositiveIntegerField()
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_transfer_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_type} x{self.quantity}"


# --- snapshots, saved carts, abandoned carts -----------------------------------------------------


class SnapshotType(models.TextChoices):
    CHECKOUT_ATTEMPT = "checkout_attempt", _("Checkout attempt")
    BEFORE_MERGE = "before_merge", _("Before a merge")
    BEFORE_CLEARING = "before_clearing", _("Before clearing")
    SAVED = "saved", _("Saved for later")
    ABANDONED = "abandoned", _("Abandoned")
    PERIODIC = "periodic", _("Periodic")


class CartSnapshot(models.Model):
    """The cart as it was at one moment, prices included (`carts.services.cart_snapshot_take`).

    `snapshot_data`: {"currency": "USD", "lines": [{"item_id", "variant_id", "sku", "title",
    "variant_name", "quantity", "unit_price", "price_now", "available"}]} (money as strings)."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="snapshots")
    snapshot_type = models.CharField(max_length=20, choices=SnapshotType.choices)
    total_amount = money_field()
    item_count = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=CartStatus.choices)
    snapshot_data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Snapshot {self.pk} of cart {self.cart_id} ({self.snapshot_type})"


class SavedCart(models.Model):
    """A named copy of a customer's cart to buy later: `cart` is the copy (status `saved`, its
    own items), restored into the active cart at today's prices; removed after `expires_at` by a
    beat task (the copy soft-deleted with it)."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="saved_as")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_carts")
    name = models.CharField(max_length=100)
    description = bounded_text_field(1000, blank=True)
    saved_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-saved_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class AbandonedCartStatus(models.TextChoices):
    OPEN = "open", _("Abandoned")  # recovery e-mails may still go
    RECOVERED = "recovered", _("Recovered")  # the customer came back through a recovery link
    CONVERTED = "converted", _("Ordered")  # an order was placed from the cart after it was abandoned
    CLOSED = "closed", _("Closed")  # emptied, merged, or the e-mails ran out: nothing more to do


class AbandonedCart(models.Model):
    """A cart found idle past `CART_ABANDONED_AFTER_MINUTES` while it held items (one per cart:
    the seed's unique key; the task that finds them is idempotent by it).

    `conversion_value`: the cart's value when it was abandoned; `estimated_recovery_value`: that
    value weighed by the shop's recovery rate so far. `recovered_value` and `recovered_order`:
    the order placed from the cart after it was abandoned, and its total."""

    cart = models.OneToOneField(Cart, on_delete=models.CASCADE, related_name="abandonment")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="abandoned_carts"
    )
    status = models.CharField(
        max_length=10, choices=AbandonedCartStatus.choices, default=AbandonedCartStatus.OPEN, db_index=True
    )
    abandoned_at = models.DateTimeField(db_index=True)
    item_count = models.PositiveIntegerField(default=0)
    recovery_attempts = models.PositiveIntegerField(default=0)
    last_recovery_attempt_at = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)
    conversion_value = money_field(default=0)
    estimated_recovery_value = money_field(default=0)
    recovered_value = money_field(null=True, blank=True)
    recovered_order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="recovered_abandonments"
    )
    currency = currency_field()
    exit_page = models.CharField(max_length=512, blank=True)
    device_type = models.CharField(max_length=8, choices=DeviceType.choices, default=DeviceType.UNKNOWN)
    referral_source = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-abandoned_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(conversion_value__gte=0), name="abandoned_cart_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Abandoned cart {self.cart_id} ({self.status})"
