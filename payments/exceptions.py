from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError


class InsufficientBalanceError(DomainError):
    code = "insufficient_balance"
    http_status = 402
    default_message = _("Your wallet balance is not enough for this order. Top it up and try again.")


class InvalidAmountError(DomainError):
    code = "invalid_amount"
    http_status = 400
    default_message = _("That amount is not valid.")


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


class RefundNotAllowedError(DomainError):
    code = "refund_not_allowed"
    http_status = 409
    default_message = _("Only an order's payments can be refunded.")


class RefundReasonRequiredError(DomainError):
    code = "refund_reason_required"
    http_status = 400
    default_message = _("Say why the money is given back.")
