"""Money (seed 000 BALANCES, BALANCE_RECORDS, PAYMENTS; seed 003 *Payments*).

Every change of a wallet balance writes a `WalletEntry` in the same transaction, so a balance
can always be recomputed as the sum of its ledger (charges and refunds add, uses subtract).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
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


class PaymentMethodType(models.TextChoices):
    WALLET = "wallet", _("Shop wallet")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CAPTURED = "captured", _("Paid")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class Payment(TimeStampedModel):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=PaymentMethodType.choices, default=PaymentMethodType.WALLET)
    amount = money_field()
    refunded_amount = money_field(default=0)
    currency = currency_field()
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refunds_within_amount",
            ),
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

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.amount} of payment {self.payment_id}"
