"""The shopping cart (seed 003 carts and cart_items).

The wishlist, transfer, snapshot, saved-cart and abandoned-cart tables of the same section come
with the carts issue; these two are what the cart page and checkout need.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from common.models import SoftDeleteModel, TimeStampedModel
from common.money import currency_field, money_field


class CartStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    ABANDONED = "abandoned", "Abandoned"


class Cart(TimeStampedModel, SoftDeleteModel):
    """A customer's cart. The seed makes the customer unique; since a checked-out cart is kept
    (completed) and a new one begins, the rule is "exactly one *active* cart per customer", a
    partial unique constraint. `total_amount` is the sum of the items' `total_price`, kept by the
    services in the same transaction as every change of an item."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="carts")
    status = models.CharField(max_length=16, choices=CartStatus.choices, default=CartStatus.ACTIVE, db_index=True)
    total_amount = money_field(default=0)
    currency = currency_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="active", deleted_at__isnull=True),
                name="cart_one_active_per_customer",
            ),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="cart_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Cart {self.pk} of {self.customer_id} ({self.status})"


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
