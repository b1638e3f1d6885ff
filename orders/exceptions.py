from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError


class InvalidOrderError(DomainError):
    code = "invalid_order"
    http_status = 400
    default_message = _("This order is not valid.")


class ProductUnavailableError(DomainError):
    code = "product_unavailable"
    http_status = 409
    default_message = _("One of the items you chose is no longer for sale.")


class OrderNotCancellableError(DomainError):
    code = "not_cancellable"
    http_status = 409
    default_message = _("This order can no longer be cancelled.")


class SalesDayNotOverError(DomainError):
    code = "sales_day_not_over"
    http_status = 400
    default_message = _("Only a day that is over (before today, in UTC) can be rolled up.")


# --- Returns (RMA) ---


class ReturnNotAllowedError(DomainError):
    """A line that is not delivered, or whose return window has closed."""

    code = "return_not_allowed"
    http_status = 409
    default_message = _("This item can no longer be returned.")


class ReturnQuantityError(DomainError):
    code = "return_quantity_exceeded"
    http_status = 409
    default_message = _("You cannot return more than you bought, less what is already being returned.")


class InvalidReturnError(DomainError):
    code = "invalid_return"
    http_status = 400
    default_message = _("This return is not valid.")


# Cancellations and order issues (issue 13, branch `cancel`)


class CancellationPendingError(DomainError):
    code = "cancellation_pending"
    http_status = 409
    default_message = _("A cancellation of this order is already waiting for a decision.")


class DecisionReasonRequiredError(DomainError):
    code = "reason_required"
    http_status = 400
    default_message = _("Give a reason: the customer reads it.")


class CancellationFeeError(DomainError):
    code = "invalid_fee"
    http_status = 400
    default_message = _("The fee must be between zero and what is left to refund.")


class InvalidIssueItemsError(DomainError):
    code = "invalid_items"
    http_status = 400
    default_message = _("Choose lines of this order.")


class IssueNotResolvedError(DomainError):
    code = "issue_not_resolved"
    http_status = 409
    default_message = _("You can rate the answer once the issue is resolved.")


class IssueNotOpenError(DomainError):
    code = "issue_not_open"
    http_status = 409
    default_message = _("This issue is already resolved or closed.")


class IssueNotAllowedError(DomainError):
    code = "order_not_paid"
    http_status = 409
    default_message = _("An issue can be reported only about a paid order.")


class InvalidRatingError(DomainError):
    code = "invalid_rating"
    http_status = 400
    default_message = _("Rate from 1 (not satisfied) to 5 (very satisfied).")


class InvalidIssueError(DomainError):
    code = "invalid_issue"
    http_status = 400
    default_message = _("Choose a type and an urgency from the list.")


# --- Fulfilment ------------------------------------------------------------------------------------


class OrderNotShippableError(DomainError):
    code = "not_shippable"
    http_status = 409
    default_message = _("Only a paid order that is not yet shipped, cancelled or refunded can ship.")


class ShipmentItemsError(DomainError):
    code = "invalid_items"
    http_status = 400
    default_message = _("Choose lines of this order that are yours to ship.")


class AlreadyShippedError(DomainError):
    code = "already_shipped"
    http_status = 409
    default_message = _("These lines have already shipped.")


class TrackingNumberTakenError(DomainError):
    code = "tracking_number_taken"
    http_status = 409
    default_message = _("This carrier already has a shipment with this tracking number.")


class CarrierUnavailableError(DomainError):
    code = "carrier_unavailable"
    http_status = 400
    default_message = _("Choose one of the carriers on offer.")


class ShipmentInputError(DomainError):
    code = "invalid_shipment"
    http_status = 400
    default_message = _("These shipment details are not valid.")


# --- card payments (issue 14) -------------------------------------------------------------------


class OrderNotAwaitingPaymentError(DomainError):
    """Only a pending order (placed to be paid by card) can be paid; a paid or cancelled one cannot."""

    code = "order_not_awaiting_payment"
    http_status = 409
    default_message = _("This order is not waiting for a payment.")


class PaymentTimeOverError(DomainError):
    """The stock of a pending order is no longer held for it: it is being cancelled."""

    code = "payment_time_over"
    http_status = 409
    default_message = _("The time to pay for this order is over: it will be cancelled and its items go back on sale.")
