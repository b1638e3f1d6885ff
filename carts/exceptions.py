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


class CartMergedError(DomainError):
    """A guest's write that came after their cart went into their account (a sign-in in between)."""

    code = "cart_merged"
    http_status = 409
    default_message = _("Your cart is now in your account: please add the item again.")
