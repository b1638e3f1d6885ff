from django.utils.translation import gettext_lazy as _

from common.exceptions import DomainError


class CartItemInvalidError(DomainError):
    code = "cart_item_invalid"
    http_status = 400
    default_message = _("That cannot go in the cart.")


class CartEmptyError(DomainError):
    code = "cart_empty"
    http_status = 400
    default_message = _("Your cart is empty.")
