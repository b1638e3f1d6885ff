"""Money (seed 000 BALANCES, BALANCE_RECORDS, PAYMENTS; seed 003 *Payments*).

Every change of a wallet balance writes a `WalletEntry` in the same transaction, so a balance
can always be recomputed as the sum of its ledger (charges and refunds add, uses subtract).

Card data: the shop never holds a card number or a CVC. A `PaymentMethod` is the gateway's token
with what a customer needs to recognise the card (brand, last four digits, expiry). A gateway's
keys are stored encrypted (`payments.secrets`) and never shown back.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from common.models import TimeStampedModel, bounded_text_field
from common.money import currency_field, money_field


class Wallet(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet")
    balance = money_field(default=0)
    currency = currency_field()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.user} {self.balance} {self.currency}"


class EntryType(models.TextChoices):
    CHARGE = "charge", _("Top-up")
    USE = "use", _("Payment")
    REFUND = "refund", _("Refund")


class WalletEntry(models.Model):
    """The wallet ledger. `amount` is always positive; `entry_type` says which way it went."""

    SIGN = {EntryType.CHARGE: 1, EntryType.REFUND: 1, EntryType.USE: -1}

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    entry_type = models.CharField(max_length=10, choices=EntryType.choices)
    amount = money_field()
    balance_after = money_field()
    reference = models.CharField(max_length=64, blank=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A top-up retried with the same Idempotency-Key is answered with this entry, not charged twice.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    # A paid top-up points at the card payment that paid for it (one entry per payment).
    payment = models.OneToOneField(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="wallet_entry"
    )
    # A staff-made credit (admin) says who made it and why.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = _("wallet entries")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_entry_amount_positive"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="wallet_entry_balance_not_negative"),
            models.UniqueConstraint(
                fields=["wallet", "idempotency_key"], name="wallet_entry_idempotency_key_per_wallet"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_entry_type_display()} {self.amount}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount * self.SIGN[EntryType(self.entry_type)]


# A gateway key as staff type it, and its Fernet token (about 1.4 times longer, plus 100) at rest.
GATEWAY_SECRET_MAX_LENGTH = 1000
GATEWAY_SECRET_TOKEN_MAX_LENGTH = 2048


class GatewayStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    TESTING = "testing", _("Testing")


class PaymentGateway(TimeStampedModel):
    """A payment processor the shop talks to. `code` picks its class from settings.PAYMENT_GATEWAYS.

    The keys are Fernet tokens (`payments.secrets.secret_encrypt`): the plain keys exist only in
    memory while a gateway call is made, never in a page, a log or an API answer.
    """

    code = models.SlugField(max_length=32, unique=True, help_text=_("The key of settings.PAYMENT_GATEWAYS."))
    name = models.CharField(max_length=80, unique=True)
    status = models.CharField(max_length=10, choices=GatewayStatus.choices, default=GatewayStatus.TESTING)
    supported_currencies = models.JSONField(default=list, blank=True, help_text=_('e.g. ["USD", "EUR"]'))
    supported_methods = models.JSONField(default=list, blank=True, help_text=_('e.g. ["card"]'))
    fee_rate = models.DecimalField(
        max_digits=6, decimal_places=4, default=0, help_text=_("The processor's fee, as a fraction (0.029 = 2.9%).")
    )
    api_key_encrypted = bounded_text_field(GATEWAY_SECRET_TOKEN_MAX_LENGTH, blank=True, editable=False)
    secret_key_encrypted = bounded_text_field(GATEWAY_SECRET_TOKEN_MAX_LENGTH, blank=True, editable=False)
    webhook_secret_encrypted = bounded_text_field(GATEWAY_SECRET_TOKEN_MAX_LENGTH, blank=True, editable=False)
    webhook_url = models.URLField(blank=True)
    configured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(fee_rate__gte=0) & Q(fee_rate__lt=1), name="gateway_fee_rate_fraction")
        ]

    def __str__(self) -> str:
        return self.name


class PaymentMethodType(models.TextChoices):
    """How a payment is paid. WALLET is the shop wallet (seed 000); the others are gateway methods."""

    WALLET = "wallet", _("Shop wallet")
    CARD = "card", _("Credit card")
    DEBIT_CARD = "debit_card", _("Debit card")
    DIGITAL_WALLET = "digital_wallet", _("Digital wallet")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class PaymentMethodStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Removed")
    EXPIRED = "expired", _("Expired")


class PaymentMethod(TimeStampedModel):
    """A customer's saved card or account: the gateway's token, never the number itself."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods")
    gateway = models.ForeignKey(PaymentGateway, on_delete=models.PROTECT, related_name="payment_methods")
    method_type = models.CharField(max_length=16, choices=PaymentMethodType.choices, default=PaymentMethodType.CARD)
    # The seed's `account_reference`: the gateway's token for the card (opaque, useless elsewhere).
    token = models.CharField(max_length=128)
    brand = models.CharField(_("provider"), max_length=32, help_text=_("Visa, Mastercard, …"))
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    billing_name = models.CharField(max_length=150, blank=True)
    billing_line1 = models.CharField(max_length=255, blank=True)
    billing_line2 = models.CharField(max_length=255, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_region = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = CountryField(blank=True)
    is_default = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=PaymentMethodStatus.choices, default=PaymentMethodStatus.ACTIVE)

    class Meta:
        ordering = ["-is_default", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "token"], name="payment_method_token_once_per_gateway"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True) & Q(status="active"),
                name="payment_method_one_default_per_user",
            ),
            models.CheckConstraint(condition=Q(last4__regex=r"^[0-9]{4}$"), name="payment_method_last4_digits"),
            models.CheckConstraint(
                condition=Q(exp_month__isnull=True) | (Q(exp_month__gte=1) & Q(exp_month__lte=12)),
                name="payment_method_exp_month_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    def expired_on(self, today: dt.date) -> bool:
        """Past its expiry month on `today` (a card is good through the last day of that month)."""
        if self.status == PaymentMethodStatus.EXPIRED:
            return True
        if self.exp_year is None or self.exp_month is None:
            return False
        return (self.exp_year, self.exp_month) < (today.year, today.month)

    @property
    def is_expired(self) -> bool:
        """An expired card is shown as such and cannot pay (nor become the default)."""
        return self.expired_on(timezone.localdate())


class PaymentPurpose(models.TextChoices):
    ORDER = "order", _("Order")
    WALLET_TOPUP = "wallet_topup", _("Wallet top-up")


class PaymentStatus(models.TextChoices):
    """pending -> (action_required ->) authorized -> captured -> (partially) refunded; or failed,
    voided. `review`: held by the fraud check until staff clear or block it."""

    PENDING = "pending", _("Pending")
    REVIEW = "review", _("Held for review")
    ACTION_REQUIRED = "action_required", _("Waiting for the customer's confirmation")
    AUTHORIZED = "authorized", _("Authorized")
    CAPTURED = "captured", _("Paid")
    FAILED = "failed", _("Failed")
    VOIDED = "voided", _("Voided")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


# A payment in one of these states may still take the customer's money: an order has at most one.
IN_FLIGHT_PAYMENT_STATES = (
    PaymentStatus.PENDING,
    PaymentStatus.REVIEW,
    PaymentStatus.ACTION_REQUIRED,
    PaymentStatus.AUTHORIZED,
)


class Payment(TimeStampedModel):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    purpose = models.CharField(max_length=16, choices=PaymentPurpose.choices, default=PaymentPurpose.ORDER)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=PaymentMethodType.choices, default=PaymentMethodType.WALLET)
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    gateway = models.ForeignKey(
        PaymentGateway, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # The gateway's id of this payment (its "intent"/"charge"), set once the gateway answered.
    gateway_reference = models.CharField(max_length=64, null=True, blank=True, unique=True)
    amount = money_field()
    captured_amount = money_field(default=0)
    refunded_amount = money_field(default=0)
    currency = currency_field()
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # Why it failed, in words a customer may read (a decline reason), and the gateway's code.
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    # Where the customer confirms the payment (3-D Secure), while it waits for them.
    action_url = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    # When a gateway call timed out: the retry task asks the gateway again after this.
    retry_after = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refunds_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0) & Q(captured_amount__lte=models.F("amount")),
                name="payment_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(purpose="order") | Q(order__isnull=False), name="payment_for_order_has_order"
            ),
            # A double-clicked pay button cannot start two charges of one order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["pending", "review", "action_required", "authorized"]),
                name="payment_one_in_flight_per_order",
            ),
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="payment_idempotency_key_per_user"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.status}"


class TransactionType(models.TextChoices):
    AUTHORIZATION = "authorization", _("Authorization")
    CAPTURE = "capture", _("Capture")
    REFUND = "refund", _("Refund")
    VOID = "void", _("Void")


class TransactionStatus(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILED = "failed", _("Failed")
    PENDING = "pending", _("Pending")


class PaymentTransaction(TimeStampedModel):
    """One call to a gateway about a payment (authorize, capture, void, refund) and its answer."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transactions")
    transaction_id = models.CharField(max_length=64, unique=True)
    transaction_type = models.CharField(max_length=16, choices=TransactionType.choices)
    amount = money_field()
    currency = currency_field()
    status = models.CharField(max_length=8, choices=TransactionStatus.choices)
    response_code = models.CharField(max_length=32, blank=True)
    response_message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.transaction_type} {self.amount} {self.status}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class RefundDestination(models.TextChoices):
    """Where the money of a refund went. Both count against what the order's payments can give
    back (`payments.services.order_refund`)."""

    ORIGINAL = "original", _("Original payment")
    WALLET = "wallet", _("Store credit (wallet)")


class Refund(TimeStampedModel):
    """Money given back, counted against one payment (`Payment.refunded_amount`), whatever its
    destination: store credit is a refund too, so it can never take an order past what was paid.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    currency = currency_field()
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    destination = models.CharField(max_length=10, choices=RefundDestination.choices, default=RefundDestination.ORIGINAL)
    # What the refund is for ("cancellation:12", "issue:7", "return:3"): the caller's words, for staff.
    reference = models.CharField(max_length=64, blank=True)
    gateway_reference = models.CharField(max_length=64, null=True, blank=True, unique=True)
    failure_message = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["payment", "idempotency_key"], name="refund_idempotency_key_per_payment"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} of payment {self.payment_id}"


class RefundTransaction(TimeStampedModel):
    """One call to a gateway about a refund and its answer."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="transactions")
    transaction_id = models.CharField(max_length=64, unique=True)
    amount = money_field()
    currency = currency_field()
    status = models.CharField(max_length=8, choices=TransactionStatus.choices)
    response_code = models.CharField(max_length=32, blank=True)
    response_message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.status}"


class FraudStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLEARED = "cleared", _("Cleared")
    FLAGGED = "flagged", _("Flagged for review")
    BLOCKED = "blocked", _("Blocked")


class FraudCheck(TimeStampedModel):
    """The fraud rules' verdict on one payment, taken before it is authorized (seed: fraud_detection)."""

    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, related_name="fraud_check")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fraud_checks")
    risk_score = models.DecimalField(max_digits=4, decimal_places=3)
    # The rules that fired, by code (the seed's comma-separated `detection_rules`), with their weights.
    rules = models.JSONField(default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device_fingerprint = models.CharField(max_length=128, blank=True)
    geolocation = models.JSONField(default=dict, blank=True)
    # Payments in the velocity window: by this customer, and from this client address.
    customer_velocity = models.PositiveIntegerField(default=0)
    address_velocity = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=FraudStatus.choices, default=FraudStatus.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_score__gte=0) & Q(risk_score__lte=1), name="fraud_check_score_between_0_and_1"
            )
        ]

    def __str__(self) -> str:
        return f"Fraud check of payment {self.payment_id}: {self.risk_score} {self.status}"


class FraudRules(TimeStampedModel):
    """The fraud rules' weights and thresholds, one row staff edit in admin (`fraud_rules()` reads
    it, created with the defaults below on first use)."""

    review_threshold = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.500"))
    block_threshold = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.800"))
    velocity_window_minutes = models.PositiveIntegerField(default=60)
    customer_velocity_limit = models.PositiveIntegerField(default=5)
    address_velocity_limit = models.PositiveIntegerField(default=10)
    customer_velocity_weight = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.400"))
    address_velocity_weight = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.400"))
    unusual_amount_multiple = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("5.00"))
    unusual_amount_weight = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.300"))
    declines_limit = models.PositiveIntegerField(default=3)
    declines_weight = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.400"))
    country_mismatch_weight = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.200"))

    class Meta:
        verbose_name = _("fraud rules")
        verbose_name_plural = _("fraud rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(review_threshold__lte=models.F("block_threshold")), name="fraud_review_below_block"
            )
        ]

    def __str__(self) -> str:
        return "Fraud rules"


class LogLevel(models.TextChoices):
    DEBUG = "debug", _("Debug")
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")


class PaymentLog(models.Model):
    """What happened to a payment or a refund, for audit and debugging. Written by
    `payments.logs.payment_log`, which removes anything that looks like a card number or a key."""

    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs")
    refund = models.ForeignKey(Refund, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs")
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    level = models.CharField(max_length=8, choices=LogLevel.choices, default=LogLevel.INFO)
    message = models.CharField(max_length=255)
    source = models.CharField(max_length=32, help_text=_("gateway, webhook, fraud_detection, checkout, …"))
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message}"


class WebhookEvent(models.Model):
    """Every webhook a gateway sent that passed its signature check, applied at most once
    (unique per gateway and event id)."""

    gateway = models.ForeignKey(PaymentGateway, on_delete=models.PROTECT, related_name="webhook_events")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhooks")
    payload = models.JSONField(default=dict)
    # When the gateway says the event happened: events applied out of order converge by state.
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once_per_gateway")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class SandboxOperation(models.Model):
    """The sandbox card processor's own ledger (it stands for the processor's side, not the shop's):
    what it did for each idempotency key, so a retried call after a timeout is answered with the
    first result and never charges twice. Never holds a card number: cards are known by token."""

    key = models.CharField(max_length=128, unique=True)
    operation = models.CharField(max_length=16)
    reference = models.CharField(max_length=64, db_index=True)
    amount = money_field(default=0)
    state = models.CharField(max_length=20)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.operation} {self.reference} {self.state}"
