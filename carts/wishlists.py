"""Every change to a customer's wishlists, and the moves between a wishlist and the cart.

Wishlists are for signed-in customers only (`user=`). Another customer's list or item is a
NotFoundError (a 404), never a refusal that says it exists.

Locks, in this order wherever several are taken: the customer's active cart row (the moves, as
every cart service) -> the customer's wishlist rows (all of them, by id: create, default changes
and delete see one another) -> a wishlist's item rows. The partial unique constraints (one
default list per customer, one line per variant) hold whatever a race does.
"""

import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import ProductStatus, ProductVariant, VariantStatus
from common.exceptions import NotFoundError
from common.limits import line_quantity
from common.public_cache import customer_bump

from . import services
from .exceptions import CartItemInvalidError, WishlistInvalidError, WishlistItemInvalidError, WishlistLimitError
from .models import CartItem, CartWishlistTransfer, TransferType, Wishlist, WishlistItem, WishlistVisibility

if TYPE_CHECKING:
    from .request import CartClient

NAME_MAX = 100
DESCRIPTION_MAX = 1000
NOTES_MAX = 500
# Lines of one list: far more than anyone keeps, small enough that a list page stays one query.
ITEMS_MAX = 200
PRIORITY_DEFAULT = 3


def new_share_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters: Wishlist.share_token's length


# --- checks of the input ------------------------------------------------------------------------


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WishlistInvalidError(_("Give the wishlist a name."), field="name")
    name = value.strip()
    if len(name) > NAME_MAX:
        raise WishlistInvalidError(_("A name has at most %(n)d characters.") % {"n": NAME_MAX}, field="name")
    return name


def _description(value: object) -> str:
    if not isinstance(value, str):
        raise WishlistInvalidError(_("The description must be text."), field="description")
    if len(value) > DESCRIPTION_MAX:
        raise WishlistInvalidError(
            _("A description has at most %(n)d characters.") % {"n": DESCRIPTION_MAX}, field="description"
        )
    return value.strip()


def _visibility(value: object) -> str:
    if value not in WishlistVisibility.values:
        raise WishlistInvalidError(_("Choose who can see the wishlist."), field="visibility")
    return str(value)


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise WishlistInvalidError(_("Choose yes or no."), field=field)
    return value


def _notes(value: object) -> str:
    if not isinstance(value, str):
        raise WishlistItemInvalidError(_("Notes must be text."), field="notes")
    if len(value) > NOTES_MAX:
        raise WishlistItemInvalidError(_("Notes have at most %(n)d characters.") % {"n": NOTES_MAX}, field="notes")
    return value.strip()


def _priority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise WishlistItemInvalidError(
            _("Priority is a whole number from 1 (lowest) to 5 (highest)."), field="priority"
        )
    return value


def _wishable_variant(variant_id: object) -> ProductVariant:
    """A variant that can go on a wishlist: one the shop sells, in stock or not (a sold-out one is
    what a wishlist is for); a discontinued or hidden one cannot."""
    if isinstance(variant_id, bool) or not isinstance(variant_id, int) or variant_id <= 0:
        raise WishlistItemInvalidError(_("Choose an option."), field="variant_id")
    variant = (
        ProductVariant.objects.filter(
            pk=variant_id, product__status=ProductStatus.ACTIVE, product__deleted_at__isnull=True
        )
        .exclude(status=VariantStatus.DISCONTINUED)
        .first()
    )
    if variant is None:
        raise WishlistItemInvalidError(_("This product is not for sale."), field="variant_id")
    return variant


# --- locks ----------------------------------------------------------------------------------------


def _lists_locked(user: User) -> list[Wishlist]:
    """All the customer's wishlists, row-locked in id order (inside a transaction)."""
    return list(Wishlist.objects.select_for_update().filter(customer=user).order_by("pk"))


def _own_list(lists: list[Wishlist], wishlist_id: object) -> Wishlist:
    found = next((w for w in lists if w.pk == wishlist_id), None)
    if found is None:
        raise NotFoundError(_("No such wishlist."))
    return found


def _own_list_locked(user: User, wishlist_id: object) -> Wishlist:
    if isinstance(wishlist_id, bool) or not isinstance(wishlist_id, int):
        raise NotFoundError(_("No such wishlist."))
    wishlist = Wishlist.objects.select_for_update().filter(customer=user, pk=wishlist_id).first()
    if wishlist is None:
        raise NotFoundError(_("No such wishlist."))
    return wishlist


def _own_item_locked(user: User, wishlist_id: object, item_id: object) -> WishlistItem:
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (wishlist_id, item_id)):
        raise NotFoundError(_("That item is not on your wishlist."))
    item = (
        WishlistItem.objects.select_for_update(of=("self",))
        .select_related("wishlist")
        .filter(pk=item_id, wishlist_id=wishlist_id, wishlist__customer=user, wishlist__deleted_at__isnull=True)
        .first()
    )
    if item is None:
        raise NotFoundError(_("That item is not on your wishlist."))
    return item


def _make_default(lists: list[Wishlist], wishlist: Wishlist) -> None:
    """`wishlist` becomes the one default of the (locked) lists: the old default first, so the
    partial unique constraint never sees two."""
    for other in lists:
        if other.pk != wishlist.pk and other.is_default:
            other.is_default = False
            other.save(update_fields=["is_default", "updated_at"])
    wishlist.is_default = True
    wishlist.save(update_fields=["is_default", "updated_at"])


def _retrying_first_list(action):  # type: ignore[no-untyped-def]
    """Run `action()` in a savepoint; a concurrent first list (there was nothing to lock, and the
    one-default constraint refused this one) means: run it again, now with a row to lock."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return action()
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


# --- wishlists --------------------------------------------------------------------------------


def wishlist_create(
    *,
    user: User,
    name: object,
    description: object = "",
    visibility: object = WishlistVisibility.PRIVATE,
    is_default: object = False,
) -> Wishlist:
    """A new wishlist. The customer's first is their default whatever `is_default` says; making
    a new one the default takes it from the old one in the same transaction.

    Raises WishlistInvalidError (a bad field), WishlistLimitError (WISHLISTS_MAX lists already).
    """
    name = _name(name)
    description = _description(description)
    visibility = _visibility(visibility)
    is_default = _flag(is_default, "is_default")

    def create() -> Wishlist:
        lists = _lists_locked(user)
        if len(lists) >= settings.WISHLISTS_MAX:
            raise WishlistLimitError(
                _("You can keep at most %(n)d wishlists: delete one first.") % {"n": settings.WISHLISTS_MAX}
            )
        make_default = is_default or not any(w.is_default for w in lists)
        wishlist = Wishlist.objects.create(
            customer=user,
            name=name,
            description=description,
            visibility=visibility,
            is_default=False,
            share_token=new_share_token(),
        )
        if make_default:
            _make_default(lists, wishlist)
        return wishlist

    wishlist = _retrying_first_list(create)
    customer_bump(user.pk)
    return wishlist


def wishlist_update(
    *,
    user: User,
    wishlist_id: int,
    name: object = None,
    description: object = None,
    visibility: object = None,
    is_default: object = None,
    regenerate_share_token: bool = False,
) -> Wishlist:
    """Change what is given (None: unchanged). `is_default=True` takes the default from the other
    list; the default cannot be unset (make another list the default instead).
    `regenerate_share_token`: a new shared link; the old one stops working.

    Raises NotFoundError (not the customer's), WishlistInvalidError.
    """
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _name(name)
    if description is not None:
        changes["description"] = _description(description)
    if visibility is not None:
        changes["visibility"] = _visibility(visibility)
    make_default = _flag(is_default, "is_default") if is_default is not None else None
    with transaction.atomic():
        lists = _lists_locked(user)
        wishlist = _own_list(lists, wishlist_id)
        if make_default is False and wishlist.is_default:
            raise WishlistInvalidError(
                _("This is your default wishlist: make another one the default instead."), field="is_default"
            )
        for field, value in changes.items():
            setattr(wishlist, field, value)
        if regenerate_share_token:
            wishlist.share_token = new_share_token()
        wishlist.save(update_fields=[*changes, "share_token", "updated_at"])
        if make_default and not wishlist.is_default:
            _make_default(lists, wishlist)
    customer_bump(user.pk)
    return wishlist


def wishlist_delete(*, user: User, wishlist_id: int) -> None:
    """Delete a wishlist (soft: it and its shared link are gone for everyone). Deleting the
    default makes the most recently made other list the default.

    Raises NotFoundError."""
    with transaction.atomic():
        lists = _lists_locked(user)
        wishlist = _own_list(lists, wishlist_id)
        was_default = wishlist.is_default
        wishlist.deleted_at = timezone.now()
        wishlist.is_default = False
        wishlist.save(update_fields=["deleted_at", "is_default", "updated_at"])
        others = [w for w in lists if w.pk != wishlist.pk]
        if was_default and others:
            newest = max(others, key=lambda w: (w.created_at, w.pk))
            _make_default(others, newest)
    customer_bump(user.pk)


def wishlist_default_of(user: User) -> Wishlist:
    """The customer's default wishlist, made ("My wishlist") when they have none."""
    found = Wishlist.objects.filter(customer=user, is_default=True).first()
    if found is not None:
        return found

    def get_or_make() -> Wishlist:
        lists = _lists_locked(user)
        default = next((w for w in lists if w.is_default), None)
        if default is not None:
            return default
        if lists:  # no default (not made by these services): the newest list becomes it
            newest = max(lists, key=lambda w: (w.created_at, w.pk))
            _make_default(lists, newest)
            return newest
        return Wishlist.objects.create(
            customer=user, name=_("My wishlist"), is_default=True, share_token=new_share_token()
        )

    wishlist = _retrying_first_list(get_or_make)
    customer_bump(user.pk)
    return wishlist


# --- items ------------------------------------------------------------------------------------


def _item_put(*, wishlist: Wishlist, variant_id: int, notes: str | None, priority: int | None) -> WishlistItem:
    """Inside a transaction holding the wishlist's row lock: the list's line of this variant, made
    or updated (only the notes and priority given)."""
    item = wishlist.items.filter(variant_id=variant_id).first()
    if item is None:
        if wishlist.items.count() >= ITEMS_MAX:
            raise WishlistItemInvalidError(
                _("A wishlist can hold at most %(n)d items.") % {"n": ITEMS_MAX}, field="variant_id"
            )
        return WishlistItem.objects.create(
            wishlist=wishlist,
            variant_id=variant_id,
            notes=notes if notes is not None else "",
            priority=priority if priority is not None else PRIORITY_DEFAULT,
        )
    fields: list[str] = []
    if notes is not None:
        item.notes, fields = notes, [*fields, "notes"]
    if priority is not None:
        item.priority, fields = priority, [*fields, "priority"]
    item.save(update_fields=[*fields, "updated_at"])
    return item


def wishlist_item_add(
    *,
    user: User,
    wishlist_id: int | None = None,
    variant_id: object,
    notes: object = None,
    priority: object = None,
) -> WishlistItem:
    """Put a variant on a wishlist (`wishlist_id`, else the default list, made if need be). A
    variant already there is not an error: its notes and priority change to those given (None:
    kept; a new line gets "" and 3).

    Raises NotFoundError (not the customer's list), WishlistItemInvalidError.
    """
    clean_notes = _notes(notes) if notes is not None else None
    clean_priority = _priority(priority) if priority is not None else None
    variant = _wishable_variant(variant_id)
    if wishlist_id is None:
        wishlist_id = wishlist_default_of(user).pk
    with transaction.atomic():
        wishlist = _own_list_locked(user, wishlist_id)
        item = _item_put(wishlist=wishlist, variant_id=variant.pk, notes=clean_notes, priority=clean_priority)
        wishlist.save(update_fields=["updated_at"])
    return item


def wishlist_item_update(
    *, user: User, wishlist_id: int, item_id: int, notes: object = None, priority: object = None
) -> WishlistItem:
    """Change an item's notes or priority (1 lowest … 5 highest). Raises NotFoundError,
    WishlistItemInvalidError."""
    clean_notes = _notes(notes) if notes is not None else None
    clean_priority = _priority(priority) if priority is not None else None
    with transaction.atomic():
        item = _own_item_locked(user, wishlist_id, item_id)
        fields: list[str] = []
        if clean_notes is not None:
            item.notes, fields = clean_notes, [*fields, "notes"]
        if clean_priority is not None:
            item.priority, fields = clean_priority, [*fields, "priority"]
        item.save(update_fields=[*fields, "updated_at"])
    return item


def wishlist_item_remove(*, user: User, wishlist_id: int, item_id: int) -> None:
    """Take an item off a wishlist (soft delete). Raises NotFoundError."""
    with transaction.atomic():
        item = _own_item_locked(user, wishlist_id, item_id)
        item.deleted_at = timezone.now()
        item.save(update_fields=["deleted_at", "updated_at"])


# --- moves between a wishlist and the cart ---------------------------------------------------


def wishlist_item_move_to_cart(
    *, user: User, wishlist_id: int, item_id: int, quantity: object = 1, client: "CartClient | None" = None
) -> CartItem:
    """Put `quantity` of a wishlist item in the customer's cart and take it off the list, with a
    `wishlist_to_cart` transfer: all or nothing. A variant the cart refuses (not for sale now, a
    full cart) leaves the list as it was. Moving the same item twice at once moves it once: the
    second finds it gone (NotFoundError).

    Raises NotFoundError, CartItemInvalidError.
    """
    quantity = line_quantity(quantity, error=CartItemInvalidError)
    with transaction.atomic():
        services._active_cart_locked_or_new(user=user)  # the cart row first, as every cart change
        item = _own_item_locked(user, wishlist_id, item_id)
        cart_item = services.cart_add_item(user=user, variant_id=item.variant_id, quantity=quantity, client=client)
        item.deleted_at = timezone.now()
        item.save(update_fields=["deleted_at", "updated_at"])
        CartWishlistTransfer.objects.create(
            customer=user,
            transfer_type=TransferType.WISHLIST_TO_CART,
            from_wishlist_item=item,
            to_cart_item=cart_item,
            quantity=quantity,
        )
    return cart_item


def cart_item_move_to_wishlist(
    *, user: User, item_id: int, wishlist_id: int | None = None, client: "CartClient | None" = None
) -> WishlistItem:
    """Take a line out of the customer's cart and put its variant on a wishlist (`wishlist_id`,
    else the default), with a `cart_to_wishlist` transfer of the line's quantity. A variant
    already on the list keeps its notes and priority.

    Raises NotFoundError (not a line of the customer's cart, not their list)."""
    with transaction.atomic():
        _cart, cart_item = services._own_item_locked(user=user, guest=None, item_id=item_id)
        if wishlist_id is None:
            wishlist = wishlist_default_of(user)
            wishlist = _own_list_locked(user, wishlist.pk)
        else:
            wishlist = _own_list_locked(user, wishlist_id)
        wish_item = _item_put(wishlist=wishlist, variant_id=cart_item.variant_id, notes=None, priority=None)
        wishlist.save(update_fields=["updated_at"])
        services.cart_item_remove(user=user, item_id=cart_item.pk, client=client)
        CartWishlistTransfer.objects.create(
            customer=user,
            transfer_type=TransferType.CART_TO_WISHLIST,
            from_cart_item=cart_item,
            to_wishlist_item=wish_item,
            quantity=cart_item.quantity,
        )
    return wish_item
