"""Orders (seed 003 *Orders*, seed 000 ORDERS, ORDER_PRODUCTS, PRODUCT_SALE_STATS, PRODUCT_DAILY_SALES)."""

from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from common.models import Channel, Notification, TimeStampedModel, bounded_text_field
from common.models import DeliveryStatus as DeliveryStatus  # re-exported: the order code's name for it
from common.money import currency_field, money_field

# The checkout service keeps the first 2,000 characters of a note; the pages take 500.
SPECIAL_INSTRUCTIONS_MAX_LENGTH = 2000


def _equal_cents(field: str, expression: Any) -> Q:
    """`field = expression` for money columns, written as "within half a cent".

    On PostgreSQL both sides are exact numerics in whole cents, so this is plain equality; the
    embedded SQLite default compares decimals as floats, where 19.99 * 3 is not 59.97.
    """
    return Q(**{f"{field}__gte": expression - Value(HALF_CENT)}) & Q(**{f"{field}__lte": expression + Value(HALF_CENT)})


HALF_CENT = Decimal("0.005")


class OrderState(models.TextChoices):
    """The codes of the `OrderStatus` lookup rows (seeded by migration 0002)."""

    PENDING = "pending", _("Pending payment")
    PAID = "paid", _("Paid")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# The only allowed status changes; `orders.services.order_transition` enforces them.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderState.PENDING: frozenset({OrderState.PAID, OrderState.CANCELLED}),
    OrderState.PAID: frozenset({OrderState.PROCESSING, OrderState.CANCELLED}),
    OrderState.PROCESSING: frozenset({OrderState.SHIPPED, OrderState.CANCELLED}),
    OrderState.SHIPPED: frozenset({OrderState.DELIVERED}),
    OrderState.DELIVERED: frozenset({OrderState.REFUNDED}),
    OrderState.CANCELLED: frozenset(),
    OrderState.REFUNDED: frozenset(),
}
# Orders whose sale counts: everything paid and not undone.
SOLD_STATES = frozenset({OrderState.PAID, OrderState.PROCESSING, OrderState.SHIPPED, OrderState.DELIVERED})
CANCELLABLE_BY_CUSTOMER = frozenset({OrderState.PAID, OrderState.PROCESSING})


class OrderStatus(TimeStampedModel):
    """The status lookup of seed 003. Its `group` is a label (the source points it at sellers)."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=50)
    group = models.CharField(max_length=20)
    display_order = models.PositiveIntegerField()
    is_final_state = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = _("order statuses")
        ordering = ["display_order"]

    def __str__(self) -> str:
        return self.name


class Order(TimeStampedModel):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    # Set in the same transaction that creates the order, as its last step (see orders.numbering).
    order_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    status = models.ForeignKey(
        OrderStatus,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="status_code",
        related_name="+",
        default=OrderState.PENDING.value,
    )
    issued_coupon = models.ForeignKey(
        "promotions.IssuedCoupon", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    # seed 000 originalAmount = seed 003 subtotal
    subtotal = money_field(default=0)
    discount_amount = money_field(default=0)
    shipping_cost = money_field(default=0)
    tax_amount = money_field(default=0)
    total_amount = money_field(default=0)
    currency = currency_field()
    special_instructions = bounded_text_field(SPECIAL_INSTRUCTIONS_MAX_LENGTH, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The outbox rows about this order (no column: `common.Notification.subject` points here).
    notifications = GenericRelation(
        "common.Notification",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="order",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "idempotency_key"], name="order_idempotency_key_per_customer"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_amount__gte=0, shipping_cost__gte=0, tax_amount__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__lte=F("subtotal")), name="order_discount_within_subtotal"
            ),
            models.CheckConstraint(
                condition=_equal_cents(
                    "total_amount", F("subtotal") - F("discount_amount") + F("shipping_cost") + F("tax_amount")
                ),
                name="order_total_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-id"]), models.Index(fields=["status", "paid_at"])]

    def __str__(self) -> str:
        return self.order_number or f"Order {self.pk}"

    @property
    def original_amount(self) -> Decimal:
        """Seed 000 ORDERS.originalAmount."""
        return self.subtotal


class OrderItem(TimeStampedModel):
    """One line of an order. Prices and descriptive fields are copied at purchase."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_items")
    variant = models.ForeignKey("catalog.ProductVariant", on_delete=models.PROTECT, related_name="order_items")
    seller = models.ForeignKey("accounts.Seller", on_delete=models.PROTECT, related_name="order_items")
    product_title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    total_price = money_field()
    currency = currency_field()
    weight_kg = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    color = models.CharField(max_length=40, blank=True)
    size = models.CharField(max_length=40, blank=True)
    material = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_item_quantity_positive"),
            models.CheckConstraint(
                condition=_equal_cents("total_price", F("unit_price") * F("quantity")), name="order_item_total_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_title}"


class ActorRole(models.TextChoices):
    """In which capacity someone changed an order (one user can be a customer and a seller)."""

    CUSTOMER = "customer", _("Customer")
    SELLER = "seller", _("Seller")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class OrderHistory(models.Model):
    """Who changed what on an order, and why (seed 003 order_history).

    `actor` is the user (none for the system: a scheduled command); `actor_role` the capacity they
    acted in. Client address and user agent come from the request (`common.http.client_meta`).
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_role = models.CharField(max_length=16, choices=ActorRole.choices, default=ActorRole.CUSTOMER)
    change_type = models.CharField(max_length=32, default="status_update")
    field_name = models.CharField(max_length=64, default="status")
    previous_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("order history")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field_name}: {self.previous_value} → {self.new_value}"


class NotificationKind(models.TextChoices):
    """Every customer-visible order event. The message of each is `templates/orders/email/<value>.txt`;
    `context` on the row carries the id of the object the event is about (see each service)."""

    CONFIRMATION = "confirmation", _("Order confirmation")
    CANCELLATION = "cancellation", _("Cancellation")
    SHIPPED = "shipped", _("Shipment sent")  # context: {"tracking_id": …}
    DELIVERED = "delivered", _("Shipment delivered")  # context: {"tracking_id": …}
    CANCELLATION_REQUESTED = "cancellation_requested", _("Cancellation requested")  # {"cancellation_id": …}
    CANCELLATION_APPROVED = "cancellation_approved", _("Cancellation approved")
    CANCELLATION_REJECTED = "cancellation_rejected", _("Cancellation rejected")
    RETURN_REQUESTED = "return_requested", _("Return requested")  # {"return_id": …}
    RETURN_APPROVED = "return_approved", _("Return approved")
    RETURN_REJECTED = "return_rejected", _("Return rejected")
    RETURN_RECEIVED = "return_received", _("Return received")
    RETURN_INSPECTED = "return_inspected", _("Return inspected")
    RETURN_REFUNDED = "return_refunded", _("Return refunded")
    ISSUE_REPORTED = "issue_reported", _("Issue reported")  # {"issue_id": …}
    ISSUE_UPDATED = "issue_updated", _("Issue updated")
    ISSUE_RESOLVED = "issue_resolved", _("Issue resolved")
    ISSUE_CLOSED = "issue_closed", _("Issue closed")


class OrderNotificationManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        # The e-mails; each has an in-app twin (channel "in_app", same dedupe key) in the account.
        return super().get_queryset().filter(kind__in=NotificationKind.values, channel=Channel.EMAIL)


class OrderNotification(Notification):
    """The order e-mails among the shop's outbox rows (`common.Notification`): written with the
    order, sent after commit, sent again by the periodic task when the broker was down. Their
    dedupe key (`order:<id>:<kind>`) makes sending at most once per kind (and channel).
    """

    objects: ClassVar[OrderNotificationManager] = OrderNotificationManager()

    class Meta:
        proxy = True
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{NotificationKind(self.kind).label} for {self.subject_id}: {self.status}"


class OrderNumberCounter(models.Model):
    """The last order number handed out in a year (OM-YYYY-NNNNN is sequential per year)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class ProductSaleStat(models.Model):
    """Live sales (seed 000 PRODUCT_SALE_STATS): one row per sold line, a negative row when undone."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="sale_stats")
    order_item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="sale_stats")
    quantity = models.IntegerField()
    date = models.DateField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["date", "product"])]

    def __str__(self) -> str:
        return f"{self.product_id} {self.date}: {self.quantity:+d}"


class ProductDailySales(TimeStampedModel):
    """Sales per product per day (seed 000 PRODUCT_DAILY_SALES), rebuilt by the daily rollup."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="daily_sales")
    date = models.DateField()
    quantity = models.PositiveIntegerField()
    revenue = money_field(default=0)

    class Meta:
        verbose_name_plural = _("product daily sales")
        ordering = ["-date", "product_id"]
        constraints = [models.UniqueConstraint(fields=["product", "date"], name="daily_sales_one_row_per_product_day")]
        indexes = [models.Index(fields=["date", "-quantity"])]

    def __str__(self) -> str:
        return f"{self.product_id} {self.date}: {self.quantity}"


# --- Fulfilment: carriers, shipments, snapshots (issue 13, "fulfil") ------------------------------

TRACKING_NUMBER_PLACEHOLDER = "{tracking_number}"


class ShippingCarrier(TimeStampedModel):
    """A carrier company that delivers parcels (seed 003 shipping_carrier_id).

    The seed's `shipping_carrier_id` (and `return_shipping_carrier_id`) point at *sellers*: a
    mistake in the source. The evident intent is a carrier company (a parcel service with its own
    tracking site), modelled here; a seller chooses one when they ship.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    tracking_url_template = models.CharField(
        _("tracking URL template"),
        max_length=500,
        help_text=_("The carrier's tracking page, with {tracking_number} where the number goes."),
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Sellers can choose only active carriers."))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tracking_url_template__contains=TRACKING_NUMBER_PLACEHOLDER),
                name="carrier_template_has_tracking_number",
                violation_error_message=_("The template must contain {tracking_number}."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def tracking_url_for(self, tracking_number: str) -> str:
        return self.tracking_url_template.replace(TRACKING_NUMBER_PLACEHOLDER, quote(tracking_number, safe=""))


class ShipmentStatus(models.TextChoices):
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    FAILED_ATTEMPT = "failed_attempt", _("Delivery attempt failed")
    DELIVERED = "delivered", _("Delivered")


# The only allowed shipment status changes; `orders.services.fulfilment` enforces them. A carrier
# can report "in transit" or a failed attempt more than once (a new location, a second attempt).
SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ShipmentStatus.SHIPPED: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.FAILED_ATTEMPT, ShipmentStatus.DELIVERED}
    ),
    ShipmentStatus.IN_TRANSIT: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.FAILED_ATTEMPT, ShipmentStatus.DELIVERED}
    ),
    ShipmentStatus.FAILED_ATTEMPT: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.FAILED_ATTEMPT, ShipmentStatus.DELIVERED}
    ),
    ShipmentStatus.DELIVERED: frozenset(),
}


class OrderTracking(TimeStampedModel):
    """One shipment of an order (seed 003 order_tracking): one seller's parcel with its tracking.

    The seed allows one tracking row per order; an order with lines from two sellers ships as two
    parcels, so here an order has many (`order.shipments`), each of one seller and covering some of
    that seller's lines (`lines`, each line in at most one shipment).
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    seller = models.ForeignKey("accounts.Seller", on_delete=models.PROTECT, related_name="shipments")
    carrier = models.ForeignKey(ShippingCarrier, on_delete=models.PROTECT, related_name="shipments")
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    tracking_url = models.URLField(_("tracking URL"), max_length=2000, blank=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.SHIPPED)
    shipped_at = models.DateTimeField(_("shipped at"))
    estimated_delivery_at = models.DateTimeField(_("estimated delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_signature = models.CharField(_("signed for by"), max_length=120, blank=True)
    delivery_instructions = bounded_text_field(500, blank=True)
    delivery_attempts = models.PositiveIntegerField(default=0)
    last_status_update = models.CharField(_("last status update"), max_length=255, blank=True)
    last_location = models.CharField(_("last location"), max_length=255, blank=True)
    # Set by `manage.py mark_overdue_shipments`: past its estimated delivery, not delivered.
    is_overdue = models.BooleanField(_("overdue"), default=False)
    overdue_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                name="shipment_tracking_number_unique_per_carrier",
                violation_error_message=_("This carrier already has a shipment with this tracking number."),
            ),
            models.CheckConstraint(
                condition=Q(status=ShipmentStatus.DELIVERED, delivered_at__isnull=False)
                | (~Q(status=ShipmentStatus.DELIVERED) & Q(delivered_at__isnull=True)),
                name="shipment_delivered_has_a_time",
            ),
        ]
        indexes = [
            models.Index(fields=["seller", "-id"]),
            models.Index(fields=["status", "estimated_delivery_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.tracking_number}"


class OrderTrackingItem(models.Model):
    """A line of the order carried by a shipment. A line ships once: its own unique row."""

    tracking = models.ForeignKey(OrderTracking, on_delete=models.CASCADE, related_name="lines")
    order_item = models.OneToOneField(OrderItem, on_delete=models.PROTECT, related_name="shipment_line")

    class Meta:
        verbose_name = _("shipment line")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.tracking_id}: {self.order_item_id}"


class SnapshotReason(models.TextChoices):
    CONFIRMATION = "confirmation", _("Order confirmed (paid)")
    STATUS_CHANGE = "status_change", _("Status changed")


class OrderSnapshot(models.Model):
    """The whole order as it was at one moment (seed 003 order_snapshots): taken when it is
    confirmed (paid) and at every status change, never changed afterwards.

    The seed's columns (totals, currency, instructions, status) are columns; `data` holds the
    rest: every field of the order (the delivery address too) and its lines with their prices.
    The order number is the order's own (it never changes, and checkout hands it out last).
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="snapshots")
    reason = models.CharField(max_length=20, choices=SnapshotReason.choices)
    status = models.CharField(max_length=20)
    subtotal = money_field()
    discount_amount = money_field()
    shipping_cost = money_field()
    tax_amount = money_field()
    total_amount = money_field()
    currency = currency_field()
    special_instructions = bounded_text_field(SPECIAL_INSTRUCTIONS_MAX_LENGTH, blank=True)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_reason_display()} ({self.status})"


# --- end of fulfilment ----------------------------------------------------------------------------
