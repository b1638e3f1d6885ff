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
