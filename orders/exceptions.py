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
