from typing import Any

from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError, NotFoundError


class InsufficientBalanceError(DomainError):
    code = "insufficient_balance"
    http_status = 402
    default_message = _("Your wallet balance is not enough for this order. Top it up and try again.")


class InvalidAmountError(DomainError):
    code = "invalid_amount"
    http_status = 400
    default_message = _("That amount is not valid.")


# --- saved payment methods and paid top-ups ---------------------------------------------------


class PaymentMethodNotFoundError(NotFoundError):
    """Not one of the signed-in customer's saved methods (another customer's is not found either)."""

    default_message = _("That payment method was not found.")


class CardTokenInvalidError(DomainError):
    code = "card_token_invalid"
    http_status = 400
    default_message = _("The card could not be read. Add it again.")


class CardTokenUsedError(DomainError):
    code = "card_token_used"
    http_status = 409
    default_message = _("This card was already saved. Add it again to save it once more.")


class CardExpiredError(DomainError):
    code = "card_expired"
    http_status = 400
    default_message = _("This card has expired. Use another card.")


class CreditReasonRequiredError(DomainError):
    code = "reason_required"
    http_status = 400
    default_message = _("Say why the wallet is credited.")


class PaymentMethodRequiredError(DomainError):
    code = "payment_method_required"
    http_status = 400
    default_message = _("Choose a saved card to pay for the top-up.")


class RefundExceedsPaymentError(DomainError):
    code = "refund_exceeds_payment"
    http_status = 409
    default_message = _("A refund cannot be more than what is left of the payment.")


class OrderRefundCapError(RefundExceedsPaymentError):
    """The one refusal of `order_refund`: more than is left of what the order's payments took
    (a RefundExceedsPaymentError too, so a caller catching that one catches it)."""

    code = "refund_exceeds_paid"
    http_status = 409
    default_message = _("That would give back more than was paid for this order.")


# --- card payments (payments.services.card) ----------------------------------------------------


class PaymentNotFoundError(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Payment not found.")


class PaymentMethodUnusableError(DomainError):
    """A saved method that is not the customer's, removed, or expired cannot pay."""

    code = "payment_method_unusable"
    http_status = 400
    default_message = _("This payment method cannot be used. Choose another card.")


class PaymentDeclinedError(DomainError):
    """The processor declined the card: `message` is its reason, and nothing was charged. Callers
    raise it from a failed payment with `PaymentDeclinedError.of(payment)`."""

    code = "card_declined"
    http_status = 402
    default_message = _("Your card was declined. Nothing was charged.")

    @classmethod
    def of(cls, payment: "Any") -> "PaymentDeclinedError":
        error = cls(payment.failure_message or cls.default_message, extra={"payment_id": payment.pk})
        error.code = payment.failure_code or cls.code
        return error


class WebhookRejectedError(DomainError):
    """A webhook whose signature, timestamp or body does not check out (nothing changed)."""

    code = "webhook_rejected"
    http_status = 400
    default_message = _("The webhook could not be verified.")
