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
