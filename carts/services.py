"""Every change to a cart. Each takes the owner's active cart row lock first, so all changes
of one cart happen one after another, and keeps the cart's total in the same transaction.

A cart's owner is `user=` (a signed-in customer) or `guest=` (a visitor's `Guest`), exactly one.

Lock order (before any of checkout's, see orders/services/): cart row -> its items.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Guest, User
from catalog.models import ProductVariant
from common.exceptions import NotFoundError
from common.limits import line_quantity
from common.money import ZERO, money
from common.public_cache import customer_bump
from inventory.selectors import units_available_of

from .exceptions import CartEmptyError, CartItemInvalidError
from .models import Cart, CartItem, CartSnapshot, CartStatus, SnapshotType
from .selectors import active_carts, owner_filter

if TYPE_CHECKING:
    from .request import CartClient


def _active_cart_locked(*, user: User | None = None, guest: Guest | None = None) -> Cart | None:
    """The owner's active cart, row-locked, if there is one."""
    return active_carts(user=user, guest=guest).select_for_update().first()


def _active_cart_locked_or_new(*, user: User | None = None, guest: Guest | None = None) -> Cart:
    cart = _active_cart_locked(user=user, guest=guest)
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(currency=settings.SHOP_CURRENCY, **owner_filter(user=user, guest=guest))
    except IntegrityError:
        # A concurrent first add made it (the partial unique index held this insert until then).
        return active_carts(user=user, guest=guest).select_for_update().get()


def _total_refresh(cart: Cart, client: "CartClient | None" = None) -> None:
    # Every change of a cart's lines ends here: the header's kept count is stale after commit,
    # and `updated_at` (the cart's last activity, which the abandoned-cart task reads) moves.
    if cart.customer_id is not None:
        customer_bump(cart.customer_id)
    total = cart.items.aggregate(total=Sum("total_price"))["total"]
    cart.total_amount = money(total if total is not None else ZERO)
    fields = ["total_amount", "updated_at"]
    if client is not None:
        cart.exit_page, cart.device_type, cart.referral_source = (
            client.exit_page,
            client.device_type,
            client.referral_source,
        )
        fields += ["exit_page", "device_type", "referral_source"]
    cart.save(update_fields=fields)


def _orderable_variant(variant_id: object) -> ProductVariant:
    if isinstance(variant_id, bool) or not isinstance(variant_id, int) or variant_id <= 0:
        raise CartItemInvalidError(_("Choose an option."))
    variant = ProductVariant.objects.orderable().filter(pk=variant_id).first()
    if variant is None:
        raise CartItemInvalidError(_("This product is not for sale right now."))
    return variant


def cart_add_item(
    *,
    user: User | None = None,
    guest: Guest | None = None,
    variant_id: int,
    quantity: int,
    client: "CartClient | None" = None,
) -> CartItem:
    """Put `quantity` of a variant in the owner's cart (added to what is there already).

    Stock is not held: it is checked, and taken, at checkout.

    Raises CartItemInvalidError (a bad quantity, a variant not for sale, a full cart).
    """
    quantity = line_quantity(quantity, error=CartItemInvalidError)
    variant = _orderable_variant(variant_id)
    with transaction.atomic():
        cart = _active_cart_locked_or_new(user=user, guest=guest)
        item = cart.items.filter(variant=variant).first()
        if item is None:
            if cart.items.count() >= settings.ORDER_MAX_LINES:
                raise CartItemInvalidError(
                    _("A cart can hold at most %(n)d different items.") % {"n": settings.ORDER_MAX_LINES}
                )
            item = CartItem.objects.create(cart=cart, variant=variant, quantity=quantity, unit_price=variant.price)
        else:
            item.quantity = line_quantity(item.quantity + quantity, error=CartItemInvalidError)
            item.unit_price = variant.price
            item.save(update_fields=["quantity", "unit_price", "updated_at"])
        _total_refresh(cart, client)
    return item


def _own_item_locked(*, user: User | None, guest: Guest | None, item_id: int) -> tuple[Cart, CartItem]:
    cart = _active_cart_locked(user=user, guest=guest)
    item = cart.items.filter(pk=item_id).first() if cart is not None else None
    if cart is None or item is None:
        raise NotFoundError(_("That item is not in your cart."))
    return cart, item


def cart_item_set_quantity(
    *,
    user: User | None = None,
    guest: Guest | None = None,
    item_id: int,
    quantity: int,
    client: "CartClient | None" = None,
) -> CartItem | None:
    """Change how many of an item the cart holds; 0 takes it out (and returns None).

    Raises NotFoundError (not an item of this owner's active cart), CartItemInvalidError.
    """
    quantity = line_quantity(quantity, error=CartItemInvalidError, lowest=0)
    with transaction.atomic():
        cart, item = _own_item_locked(user=user, guest=guest, item_id=item_id)
        if quantity == 0:
            item.deleted_at = timezone.now()
            item.save(update_fields=["deleted_at", "updated_at"])
            result = None
        else:
            item.quantity = quantity
            item.save(update_fields=["quantity", "updated_at"])
            result = item
        _total_refresh(cart, client)
    return result


def cart_item_remove(
    *, user: User | None = None, guest: Guest | None = None, item_id: int, client: "CartClient | None" = None
) -> None:
    """Take an item out of the owner's cart. Raises NotFoundError."""
    cart_item_set_quantity(user=user, guest=guest, item_id=item_id, quantity=0, client=client)


def cart_lock_for_checkout(*, user: User) -> tuple[Cart, list[CartItem]]:
    """Inside checkout's transaction: the active cart, locked, with its items.

    A second checkout of the same cart (a double submit) waits here, then finds no active cart.

    Raises CartEmptyError.
    """
    cart = _active_cart_locked(user=user)
    items = list(cart.items.order_by("variant_id")) if cart is not None else []
    if cart is None or not items:
        raise CartEmptyError()
    return cart, items


def cart_snapshot_take(*, cart: Cart, snapshot_type: str) -> CartSnapshot:
    """Keep the cart as it is now, its lines with the price they went in at, today's price and
    the units available (`CartSnapshot.snapshot_data`). Two queries; the caller's transaction,
    if any (a checkout attempt takes its own before checkout's, so a refused one is kept too)."""
    items = list(
        cart.items.select_related("variant__product")
        .annotate(units_available=units_available_of("variant_id"))
        .order_by("created_at", "pk")
    )
    lines = [
        {
            "item_id": item.pk,
            "variant_id": item.variant_id,
            "sku": item.variant.sku,
            "title": item.variant.product.title,
            "variant_name": item.variant.name,
            "quantity": item.quantity,
            "unit_price": str(item.unit_price),
            "price_now": str(item.variant.price),
            "available": item.units_available,
        }
        for item in items
    ]
    total = money(sum((item.variant.price * item.quantity for item in items), ZERO))
    return CartSnapshot.objects.create(
        cart=cart,
        snapshot_type=SnapshotType(snapshot_type),
        total_amount=total,
        item_count=sum(item.quantity for item in items),
        status=cart.status,
        snapshot_data={"currency": cart.currency, "lines": lines},
    )


def cart_snapshot_checkout_attempt(*, user: User) -> CartSnapshot | None:
    """Checkout calls this first, in its own transaction: every attempt is kept, refused or not
    (None when there is no active cart)."""
    cart = active_carts(user=user).first()
    return cart_snapshot_take(cart=cart, snapshot_type=SnapshotType.CHECKOUT_ATTEMPT) if cart is not None else None


def cart_mark_completed(*, cart: Cart) -> None:
    """Inside checkout's transaction, once the order is placed: the cart is done; the customer's
    next add starts a new one."""
    cart.status = CartStatus.COMPLETED
    cart.save(update_fields=["status", "updated_at"])
    if cart.customer_id is not None:
        customer_bump(cart.customer_id)  # the header's count goes back to none
