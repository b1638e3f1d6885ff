"""Orders (seed 003 *Orders*, seed 000 ORDERS, ORDER_PRODUCTS, PRODUCT_SALE_STATS, PRODUCT_DAILY_SALES)."""

from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from common.models import Channel, Notification, TimeStampedModel, bounded_text_field
from common.models import DeliveryStatus as DeliveryStatus  # re-exported: the order code's name for it
from common.money import currency_field, money_field
from payments.models import RefundDestination

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
    # A shipped order is cancelled only by approving its cancellation request
    # (`orders.services.cancellation_approve`): never by a status change in the staff console.
    OrderState.SHIPPED: frozenset({OrderState.DELIVERED, OrderState.CANCELLED}),
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
    # --- pricing: the delivery address, copied from the customer's address book at checkout, so
    # a later edit of the address does not move the order; and the tax rate the quote applied.
    # Orders from before checkout asked for an address have these blank.
    shipping_name = models.CharField(_("recipient"), max_length=150, blank=True)
    shipping_line1 = models.CharField(_("address line 1"), max_length=255, blank=True)
    shipping_line2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    shipping_city = models.CharField(_("city"), max_length=100, blank=True)
    shipping_region = models.CharField(_("state or region"), max_length=100, blank=True)
    shipping_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    shipping_country = CountryField(_("country"), blank=True)
    shipping_phone = models.CharField(_("phone"), max_length=32, blank=True)
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=6, decimal_places=3, null=True, blank=True, help_text=_("As applied at checkout.")
    )
    # --- end pricing
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
    PAYMENT_EXPIRED = "payment_expired", _("Payment not received in time")  # a card order released unpaid


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


# --- pricing: shipping rules and tax rates (orders.pricing reads them; orders.services.quote applies them)


class ShippingRule(TimeStampedModel):
    """What delivery costs, as staff set it in admin.

    Which rule applies (`orders.pricing.shipping_rule_for`): the active rule for the destination
    country; else the active rule with no country (everywhere else); else none, and delivery is
    free (0.00). Within the rule: free when the goods, after the coupon, cost at least
    `free_over`; otherwise `flat_rate` plus `per_kg` for each kilogram the order weighs (lines
    whose variant has no weight count as 0 kg), rounded half up to the cent.
    """

    name = models.CharField(max_length=100)
    country = CountryField(blank=True, help_text=_("Empty: every destination that has no rule of its own."))
    flat_rate = money_field(default=0, help_text=_("Charged on every order this rule covers."))
    per_kg = money_field(default=0, help_text=_("Added for each kilogram the order weighs."))
    free_over = money_field(
        null=True,
        blank=True,
        help_text=_("Delivery is free when the goods, after the coupon, cost at least this. Empty: never free."),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["country", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country"],
                condition=Q(is_active=True),
                name="shipping_rule_one_active_per_country",
                violation_error_message=_("An active rule for this destination exists already; deactivate it first."),
            ),
            models.CheckConstraint(
                condition=Q(flat_rate__gte=0, per_kg__gte=0) & (Q(free_over__isnull=True) | Q(free_over__gte=0)),
                name="shipping_rule_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country or _('everywhere')})"


class TaxRate(TimeStampedModel):
    """The tax charged on deliveries to a country, or to one region of it (`region` matches the
    address's state or region, ignoring case). The most specific active rate wins: the region's,
    else the country's; a destination with neither pays no tax. See `orders.services.quote` for
    what is taxed and how it is rounded."""

    name = models.CharField(max_length=60, help_text=_("As the invoice names it: VAT, GST, sales tax."))
    country = CountryField()
    region = models.CharField(
        max_length=100, blank=True, help_text=_("Empty: the whole country, except regions with a rate of their own.")
    )
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("A percentage: 20 for 20%."),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["country", "region"]
        constraints = [
            models.UniqueConstraint(
                "country",
                Lower("region"),
                condition=Q(is_active=True),
                name="tax_rate_one_active_per_region",
                violation_error_message=_("An active rate for this country and region exists already."),
            ),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="tax_rate_is_a_percentage"),
        ]

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else str(self.country)
        return f"{self.name} {self.rate}% ({where})"


# --- end pricing
# ---------------------------------------------------------------------------------------------
# Cancellations and order issues (issue 13, branch `cancel`)
# ---------------------------------------------------------------------------------------------

NOTE_MAX_LENGTH = 2000


class CancellationReason(models.TextChoices):
    CHANGED_MIND = "changed_mind", _("I changed my mind")
    ORDERED_BY_MISTAKE = "ordered_by_mistake", _("I ordered by mistake")
    FOUND_CHEAPER = "found_cheaper", _("I found it cheaper elsewhere")
    TOO_SLOW = "too_slow", _("Delivery takes too long")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock (shop)")
    OTHER = "other", _("Other")


# What a customer may give as the reason ("out of stock" is the shop's own reason, for staff).
CUSTOMER_CANCELLATION_REASONS = [c for c in CancellationReason.choices if c[0] != CancellationReason.OUT_OF_STOCK]


class CancellationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


# The only allowed steps of a cancellation; `orders.services.cancellations` enforces them. An
# approval refunds in the same transaction, so "approved" is passed through on the way to
# "completed" (it is the state a slower refund, by a card gateway, would wait in).
CANCELLATION_TRANSITIONS: dict[str, frozenset[str]] = {
    CancellationStatus.REQUESTED: frozenset({CancellationStatus.APPROVED, CancellationStatus.REJECTED}),
    CancellationStatus.APPROVED: frozenset({CancellationStatus.COMPLETED}),
    CancellationStatus.COMPLETED: frozenset(),
    CancellationStatus.REJECTED: frozenset(),
}
LIVE_CANCELLATION_STATES = frozenset(
    {CancellationStatus.REQUESTED, CancellationStatus.APPROVED, CancellationStatus.COMPLETED}
)


class OrderCancellation(TimeStampedModel):
    """A cancellation of an order (seed 003 order_cancellations).

    Before anything ships the customer's cancellation is immediate and is recorded here already
    completed; once a shipment exists it is a request that staff approve (refund, order
    cancelled) or reject with a reason. The seed's one-per-order key is kept for the live ones:
    a rejected request does not stop a later one.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="cancellations")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Seed: the administrator who processed it.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=32, choices=CancellationReason.choices, default=CancellationReason.OTHER)
    notes = bounded_text_field(NOTE_MAX_LENGTH, blank=True)  # the requester's own words
    decision_note = bounded_text_field(NOTE_MAX_LENGTH, blank=True)  # staff: why approved / rejected
    fee = money_field(default=0)
    refund_amount = money_field(default=0)
    currency = currency_field()
    status = models.CharField(
        max_length=12, choices=CancellationStatus.choices, default=CancellationStatus.REQUESTED, db_index=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status="rejected"),
                name="order_cancellation_one_live_per_order",
            ),
            models.CheckConstraint(condition=Q(fee__gte=0, refund_amount__gte=0), name="order_cancellation_amounts"),
        ]

    def __str__(self) -> str:
        return f"Cancellation {self.pk} of order {self.order_id}: {self.status}"


class IssueType(models.TextChoices):
    DAMAGED = "damaged", _("Damaged item")
    MISSING_ITEM = "missing_item", _("Missing item")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    LATE = "late", _("Late delivery")
    OTHER = "other", _("Other")


class IssueUrgency(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class IssueStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    UNDER_REVIEW = "under_review", _("Under review")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ISSUE_TRANSITIONS: dict[str, frozenset[str]] = {
    IssueStatus.REPORTED: frozenset({IssueStatus.UNDER_REVIEW, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.UNDER_REVIEW: frozenset({IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.RESOLVED: frozenset({IssueStatus.CLOSED}),
    IssueStatus.CLOSED: frozenset(),
}
OPEN_ISSUE_STATES = frozenset({IssueStatus.REPORTED, IssueStatus.UNDER_REVIEW})


class OrderIssue(TimeStampedModel):
    """A problem a customer reports about an order (seed 003 order_issues).

    `related_seller` is the seller of the lines concerned when they are all one seller's (or the
    order's only seller); it is the seller who sees and answers the issue in the seller center.
    Response and resolution times are computed from the timestamps (the seed's hour columns).
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="issues")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="order_issues")
    items = models.ManyToManyField(OrderItem, blank=True, related_name="issues")
    related_seller = models.ForeignKey(
        "accounts.Seller", on_delete=models.PROTECT, null=True, blank=True, related_name="order_issues"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_issues"
    )
    issue_type = models.CharField(max_length=16, choices=IssueType.choices)
    description = bounded_text_field(NOTE_MAX_LENGTH)
    urgency = models.CharField(max_length=10, choices=IssueUrgency.choices, default=IssueUrgency.MEDIUM)
    status = models.CharField(max_length=14, choices=IssueStatus.choices, default=IssueStatus.REPORTED, db_index=True)
    seller_response = bounded_text_field(NOTE_MAX_LENGTH, blank=True)
    seller_responded_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = bounded_text_field(NOTE_MAX_LENGTH, blank=True)
    compensation_amount = money_field(default=0)
    compensation_destination = models.CharField(max_length=10, blank=True)  # payments.RefundDestination
    currency = currency_field()
    customer_satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_satisfaction__isnull=True)
                | Q(customer_satisfaction__gte=1, customer_satisfaction__lte=5),
                name="order_issue_satisfaction_1_to_5",
            ),
            models.CheckConstraint(condition=Q(compensation_amount__gte=0), name="order_issue_compensation_positive"),
        ]
        indexes = [models.Index(fields=["related_seller", "-id"])]

    def __str__(self) -> str:
        return f"Issue {self.pk} ({self.get_issue_type_display()}) on order {self.order_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ISSUE_STATES

    @property
    def first_response_time(self) -> Any:
        """How long the customer waited for a first answer (a timedelta), or None."""
        return self.first_response_at - self.created_at if self.first_response_at else None

    @property
    def resolution_time(self) -> Any:
        return self.resolved_at - self.created_at if self.resolved_at else None

    @property
    def can_be_rated(self) -> bool:
        return self.resolved_at is not None


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
