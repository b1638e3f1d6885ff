"""Orders (seed 003 *Orders*, seed 000 ORDERS, ORDER_PRODUCTS, PRODUCT_SALE_STATS, PRODUCT_DAILY_SALES)."""

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from common.models import DeliveryStatus as DeliveryStatus  # re-exported: the order code's name for it
from common.models import Notification, TimeStampedModel, bounded_text_field
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


class OrderHistory(models.Model):
    """Who changed what on an order, and why (seed 003 order_history)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
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
        return super().get_queryset().filter(kind__in=NotificationKind.values)


class OrderNotification(Notification):
    """The order e-mails among the shop's outbox rows (`common.Notification`): written with the
    order, sent after commit, sent again by the periodic task when the broker was down. Their
    dedupe key (`order:<id>:<kind>`) makes sending at most once per kind.
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


# --- Returns (RMA) ---------------------------------------------------------------------------
# The customer asks to send delivered lines back; staff approve (or reject), receive, inspect and
# refund. Services: `orders.services.returns`. Selectors: `orders.selectors` (returns_of, …).

RETURN_REASON_TEXT_MAX_LENGTH = 1000
RETURN_NOTES_MAX_LENGTH = 2000


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")


# The only allowed steps of a return; `orders.services.returns` enforces them. Rejection is
# possible until the parcel is received: once the goods are back, staff inspect and refund what
# the inspection allows (a restocking fee, a damaged item's lower value) instead.
RETURN_TRANSITIONS: dict[str, frozenset[str]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPROVED, ReturnStatus.REJECTED}),
    ReturnStatus.APPROVED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.REJECTED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.INSPECTED}),
    ReturnStatus.INSPECTED: frozenset({ReturnStatus.REFUNDED}),
    ReturnStatus.REFUNDED: frozenset(),
    ReturnStatus.REJECTED: frozenset(),
}
# A return in any of these holds its quantities: they cannot be asked for again.
RETURN_HOLDS_QUANTITY = frozenset(set(ReturnStatus.values) - {ReturnStatus.REJECTED})


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    DEFECTIVE = "defective", _("Does not work")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    OTHER = "other", _("Other")


# The shop's fault: the shop pays the return shipping unless staff decide otherwise at approval.
RETURN_REASONS_SHOP_PAYS = frozenset(
    {ReturnReason.DAMAGED, ReturnReason.DEFECTIVE, ReturnReason.WRONG_ITEM, ReturnReason.NOT_AS_DESCRIBED}
)


class RefundDestination(models.TextChoices):
    ORIGINAL = "original", _("Original payment")
    WALLET = "wallet", _("Store credit in your wallet")


class ReturnCondition(models.IntegerChoices):
    """The condition staff find at inspection (seed `condition_rating`, 1-5)."""

    UNUSABLE = 1, _("Unusable")
    DAMAGED = 2, _("Damaged")
    USED = 3, _("Used, not resaleable")
    GOOD = 4, _("Good, resaleable")
    AS_NEW = 5, _("As new")


# At or above this rating the returned items go back to stock.
RETURN_RESALEABLE_MIN_CONDITION = ReturnCondition.GOOD


class OrderReturn(TimeStampedModel):
    """A return (RMA) of some delivered lines of one order (seed 003 order_returns).

    Refund = value of the returned lines - restocking fee - return shipping cost when the customer
    pays it; never below zero (`refund_due`). The value of a line is what was paid for it: its
    price times the quantity, less its share of the order's discount (`OrderReturnItem.value`).
    The seed's `return_shipping_carrier_id` is a free-text carrier name here.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="order_returns")
    status = models.CharField(max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED)
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    reason_text = bounded_text_field(RETURN_REASON_TEXT_MAX_LENGTH, blank=True)
    notes = bounded_text_field(RETURN_NOTES_MAX_LENGTH, blank=True)  # staff notes
    refund_destination = models.CharField(
        max_length=10, choices=RefundDestination.choices, default=RefundDestination.ORIGINAL
    )
    currency = currency_field()
    items_value = money_field(default=0)
    return_shipping_cost = money_field(default=0)
    customer_pays_shipping = models.BooleanField(default=True)
    restocking_fee = money_field(default=0)
    refund_amount = money_field(null=True, blank=True, help_text=_("What was given back, once refunded."))
    return_carrier = models.CharField(max_length=80, blank=True)
    return_tracking_number = models.CharField(max_length=64, blank=True)
    inspection_notes = bounded_text_field(RETURN_NOTES_MAX_LENGTH, blank=True)
    condition_rating = models.PositiveSmallIntegerField(choices=ReturnCondition.choices, null=True, blank=True)
    rejection_reason = models.CharField(max_length=255, blank=True)
    restocked_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    inspected_at = models.DateTimeField(null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(items_value__gte=0, return_shipping_cost__gte=0, restocking_fee__gte=0)
                & (Q(refund_amount__isnull=True) | Q(refund_amount__gte=0)),
                name="order_return_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(condition_rating__isnull=True) | Q(condition_rating__gte=1, condition_rating__lte=5),
                name="order_return_condition_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["customer", "-id"])]

    def __str__(self) -> str:
        return f"RMA-{self.pk}"

    @property
    def shipping_charged(self) -> Decimal:
        return self.return_shipping_cost if self.customer_pays_shipping else Decimal("0.00")

    @property
    def refund_due(self) -> Decimal:
        """What the refund step gives back: never below zero."""
        return max(self.items_value - self.restocking_fee - self.shipping_charged, Decimal("0.00"))

    @property
    def is_resaleable(self) -> bool:
        return self.condition_rating is not None and self.condition_rating >= RETURN_RESALEABLE_MIN_CONDITION


class OrderReturnItem(models.Model):
    """Which line of the order, and how many of it, a return sends back."""

    order_return = models.ForeignKey(OrderReturn, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="return_items")
    quantity = models.PositiveIntegerField()
    value = money_field(help_text=_("What was paid for these units (the line's share of the discount taken off)."))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_return_item_quantity_positive"),
            models.CheckConstraint(condition=Q(value__gte=0), name="order_return_item_value_not_negative"),
            models.UniqueConstraint(fields=["order_return", "order_item"], name="order_return_item_once_per_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_item_id}"


# --- end of returns (RMA) --------------------------------------------------------------------
