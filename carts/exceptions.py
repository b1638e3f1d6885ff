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


# --- saved carts (carts/saved.py) -----------------------------------------------------------------


class SavedCartInvalidError(DomainError):
    """A name or description the saved cart cannot take (the forms and the API check first)."""

    code = "saved_cart_invalid"
    http_status = 400
    default_message = _("Give the saved cart a name of up to 100 characters.")


class NothingToSaveError(DomainError):
    code = "cart_empty"
    http_status = 409
    default_message = _("Your cart is empty: there is nothing to save.")


class SavedCartsLimitError(DomainError):
    code = "saved_carts_limit"
    http_status = 409
    default_message = _("You have as many saved carts as you can keep. Delete one first.")


# --- wishlists (carts/wishlists.py) --------------------------------------------------------------


class WishlistInvalidError(DomainError):
    """A wishlist's name, description, visibility or default flag that cannot be taken.

    `field` names the input at fault (the API answers a 400 with `fields`)."""

    code = "wishlist_invalid"
    http_status = 400
    default_message = _("That wishlist cannot be saved.")

    def __init__(self, message: object = None, *, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.field = field


class WishlistLimitError(WishlistInvalidError):
    code = "wishlist_limit"
    default_message = _("You have as many wishlists as you can have: delete one first.")


class WishlistItemInvalidError(WishlistInvalidError):
    """A variant that cannot go on a wishlist, or notes and priority out of bounds."""

    code = "wishlist_item_invalid"
    default_message = _("That cannot go on the wishlist.")


class CartMergedError(DomainError):
    """A guest's write that came after their cart went into their account (a sign-in in between)."""

    code = "cart_merged"
    http_status = 409
    default_message = _("Your cart is now in your account: please add the item again.")
