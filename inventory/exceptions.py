from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError


class InsufficientStockError(DomainError):
    code = "insufficient_stock"
    http_status = 409
    default_message = _("Sorry, there is not enough stock for that.")


class InvalidStockChangeError(DomainError):
    code = "invalid_stock_change"
    http_status = 400
    default_message = _("That stock change is not valid.")
