"""Stock (seed 003 *Inventory*, seed 000 STOCKS): how many of each variant each warehouse holds.

The source points `warehouse_id` and `location_id` at the sellers table; the evident intent is a
warehouse, so `InventoryItem.warehouse` is a `Warehouse`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel, bounded_text_field
from common.money import money_field

WAREHOUSE_ADDRESS_MAX_LENGTH = 500


class Warehouse(TimeStampedModel):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    address = bounded_text_field(WAREHOUSE_ADDRESS_MAX_LENGTH, blank=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="warehouse_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class StockStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    LOW_STOCK = "low_stock", _("Low stock")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")


class InventoryItem(TimeStampedModel):
    """One variant in one warehouse. Quantities can never go negative (database constraints).

    `available_quantity` and `status` are computed by the database from the counts, so no code
    path can leave them stale.
    """

    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.CASCADE, related_name="inventory_items")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="items")
    quantity = models.IntegerField(default=0)
    reserved_quantity = models.IntegerField(default=0)
    available_quantity = models.GeneratedField(
        expression=F("quantity") - F("reserved_quantity"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    reorder_point = models.PositiveIntegerField(default=5, help_text=_("At or below this, stock is “low”."))
    status = models.GeneratedField(
        expression=Case(
            When(Q(quantity__lte=F("reserved_quantity")), then=Value(StockStatus.OUT_OF_STOCK.value)),
            When(
                Q(quantity__lte=F("reserved_quantity") + F("reorder_point")),
                then=Value(StockStatus.LOW_STOCK.value),
            ),
            default=Value(StockStatus.IN_STOCK.value),
        ),
        output_field=models.CharField(max_length=16, choices=StockStatus.choices),
        db_persist=True,
    )
    cost_price = money_field(null=True, blank=True)
    last_count_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="inventory_one_row_per_variant_warehouse"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="inventory_quantity_not_negative"),
            models.CheckConstraint(condition=Q(reserved_quantity__gte=0), name="inventory_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=F("quantity")), name="inventory_reserved_within_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} @ {self.warehouse_id}: {self.quantity}"


class ChangeType(models.TextChoices):
    SALE = "sale", _("Sale")
    RESTOCK = "restock", _("Restock")
    ADJUSTMENT = "adjustment", _("Adjustment")
    CANCELLATION = "cancellation", _("Cancellation")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    WRITEOFF = "writeoff", _("Write-off")
    RETURN = "return", _("Customer return")


class ChangeSource(models.TextChoices):
    SYSTEM = "system", _("System")
    USER = "user", _("User")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    BATCH = "batch", _("Batch")


class InventoryHistory(models.Model):
    """The stock ledger: one row per movement, written in the same transaction as the movement."""

    inventory_item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="history")
    change_type = models.CharField(max_length=16, choices=ChangeType.choices)
    change_source = models.CharField(max_length=8, choices=ChangeSource.choices, default=ChangeSource.SYSTEM)
    quantity_before = models.IntegerField()
    quantity_after = models.IntegerField()
    quantity_delta = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True, help_text=_("e.g. an order number"))
    order_item = models.ForeignKey(
        "orders.OrderItem", on_delete=models.PROTECT, null=True, blank=True, related_name="stock_movements"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = _("inventory history")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_after=F("quantity_before") + F("quantity_delta")),
                name="inventory_history_delta_adds_up",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_change_type_display()} {self.quantity_delta:+d}"


class ReservationStatus(models.TextChoices):
    HELD = "held", _("Held")
    CONVERTED = "converted", _("Sold")
    RELEASED = "released", _("Released")


class StockReservation(TimeStampedModel):
    """Stock held for an order that waits for its payment, until `expires_at`.

    While held, its quantity counts in the row's `reserved_quantity` (so no one else can buy it);
    the order's payment turns it into a sale (`converted`), its expiry or the order's cancellation
    gives it back (`released`). Only `inventory.services` changes it, under the inventory row's lock.
    """

    inventory_item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="reservations")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="stock_reservations")
    order_item = models.ForeignKey(
        "orders.OrderItem", on_delete=models.CASCADE, null=True, blank=True, related_name="stock_reservations"
    )
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.HELD)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["expires_at"], condition=Q(status="held"), name="reservation_held_by_expiry")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.variant_id} for order {self.order_id} ({self.status})"
