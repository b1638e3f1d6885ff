"""Every change to a cart. Each takes the owner's active cart row lock first, so all changes
of one cart happen one after another, and keeps the cart's total in the same transaction.

A cart's owner is `user=` (a signed-in customer) or `guest=` (a visitor's `Guest`), exactly one.

Lock order (before any of checkout's, see orders/services/): cart row -> its items.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Guest, User
from catalog.models import ProductVariant
from common.exceptions import NotFoundError
from common.limits import line_quantity
from common.money import ZERO, money
from common.public_cache import customer_bump
from inventory.selectors import units_available_of

from .exceptions import CartEmptyError, CartItemInvalidError, CartMergedError
from .models import Cart, CartItem, CartSnapshot, CartStatus, SnapshotType
from .selectors import active_carts, item_title, owner_filter

if TYPE_CHECKING:
    from .request import CartClient


def _active_cart_locked(*, user: User | None = None, guest: Guest | None = None) -> Cart | None:
    """The owner's active cart, row-locked, if there is one."""
    return active_carts(user=user, guest=guest).select_for_update().first()


def _active_cart_locked_or_new(*, user: User | None = None, guest: Guest | None = None) -> Cart:
    cart = _active_cart_locked(user=user, guest=guest)
    if cart is not None:
        return cart
    if guest is not None and Cart.objects.filter(guest=guest, status=CartStatus.MERGED).exists():
        # A request of the guest's browser that raced their sign-in (an add from another tab,
        # sent with the session as it was): its cart went into the customer's. A new guest cart
        # would hold the units where nobody sees them again; the shopper is told to add again.
        raise CartMergedError()
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
    """The variant with its product and its units available (`units_available`), in one query."""
    if isinstance(variant_id, bool) or not isinstance(variant_id, int) or variant_id <= 0:
        raise CartItemInvalidError(_("Choose an option."))
    variant = (
        ProductVariant.objects.orderable()
        .select_related("product")
        .annotate(units_available=units_available_of("pk"))
        .filter(pk=variant_id)
        .first()
    )
    if variant is None:
        raise CartItemInvalidError(_("This product is not for sale right now."))
    return variant


def _stock_refuse(variant: ProductVariant, *, available: int, requested: int) -> None:
    """Refuse a line that would hold more than the stock has, naming the item."""
    title = item_title(variant)
    if available <= 0:
        message = _("%(title)s is sold out.") % {"title": title}
    else:
        message = _("Only %(available)d left of %(title)s; your cart cannot hold %(requested)d.") % {
            "available": available,
            "title": title,
            "requested": requested,
        }
    raise CartItemInvalidError(
        message, extra={"variant_id": variant.pk, "available": max(available, 0), "requested": requested}
    )


def cart_add_item(
    *,
    user: User | None = None,
    guest: Guest | None = None,
    variant_id: int,
    quantity: int,
    client: "CartClient | None" = None,
) -> CartItem:
    """Put `quantity` of a variant in the owner's cart (added to what is there already).

    Stock is not held: it is taken at checkout. A line may not hold more than is available now
    (CartItemInvalidError naming the item, `extra` {variant_id, available, requested}).

    Raises CartItemInvalidError (a bad quantity, a variant not for sale, too few in stock, a full
    cart), CartMergedError (a guest whose cart went into their account as they signed in).
    """
    quantity = line_quantity(quantity, error=CartItemInvalidError)
    variant = _orderable_variant(variant_id)
    with transaction.atomic():
        cart = _active_cart_locked_or_new(user=user, guest=guest)
        item = cart.items.filter(variant=variant).first()
        wanted = quantity if item is None else item.quantity + quantity
        available: int = variant.units_available  # type: ignore[attr-defined]  # _orderable_variant's annotation
        if wanted > available:
            _stock_refuse(variant, available=available, requested=wanted)
        if item is None:
            if cart.items.count() >= settings.ORDER_MAX_LINES:
                raise CartItemInvalidError(
                    _("A cart can hold at most %(n)d different items.") % {"n": settings.ORDER_MAX_LINES}
                )
            item = CartItem.objects.create(cart=cart, variant=variant, quantity=quantity, unit_price=variant.price)
        else:
            item.quantity = line_quantity(wanted, error=CartItemInvalidError)
            item.unit_price = variant.price
            item.save(update_fields=["quantity", "unit_price", "updated_at"])
        _total_refresh(cart, client)
    return item


def _own_item_locked(*, user: User | None, guest: Guest | None, item_id: int) -> tuple[Cart, CartItem]:
    cart = _active_cart_locked(user=user, guest=guest)
    item = (
        cart.items.select_related("variant__product")
        .annotate(units_available=units_available_of("variant_id"))
        .filter(pk=item_id)
        .first()
        if cart is not None
        else None
    )
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

    Raising a quantity above the units available is refused (CartItemInvalidError naming the
    item); lowering one is always allowed, even while still above them, so a customer can mend
    a line the cart page flags.

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
            available: int = item.units_available  # type: ignore[attr-defined]  # _own_item_locked's annotation
            if quantity > item.quantity and quantity > available:
                _stock_refuse(item.variant, available=available, requested=quantity)
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


@dataclass(frozen=True)
class MergeResult:
    """What a sign-in's merge did. `capped`: (title, quantity the line kept) of the items that
    did not all fit (stock or the per-line limit); `not_added`: titles of the guest's items that
    could not go in at all (sold out, no longer for sale, or the cart at its limit of lines)."""

    cart: Cart | None = None  # the customer's cart after the merge; None when there was nothing
    added: int = 0  # units that went in
    capped: list[tuple[str, int]] = field(default_factory=list)
    not_added: list[str] = field(default_factory=list)

    @property
    def merged(self) -> bool:
        return self.cart is not None


def cart_merge(*, guest: Guest, user: User) -> MergeResult:
    """Put a guest's active cart into the customer's, as the guest signs in (or up and in).

    Both cart rows are locked in primary-key order and both carts are kept as they were first
    (`before_merge` snapshots). Quantities of the same item add up, capped by the units
    available and the per-line limit; a new item needs room under ORDER_MAX_LINES. Items that do
    not fit are listed in the result, never silently changed. The guest's cart ends `merged`:
    a second merge finds no active guest cart and changes nothing. A guest's add that waits on
    the guest cart's lock while the merge runs finds it merged and is refused (CartMergedError),
    so no unit is lost in a cart nobody sees, nor counted twice.
    """
    with transaction.atomic():
        carts = list(
            Cart.objects.filter(Q(guest=guest) | Q(customer=user), status=CartStatus.ACTIVE)
            .order_by("pk")
            .select_for_update()
        )
        guest_cart = next((cart for cart in carts if cart.guest_id == guest.pk), None)
        if guest_cart is None:
            return MergeResult()
        customer_cart = next((cart for cart in carts if cart.customer_id == user.pk), None)
        cart_snapshot_take(cart=guest_cart, snapshot_type=SnapshotType.BEFORE_MERGE)
        if customer_cart is not None:
            cart_snapshot_take(cart=customer_cart, snapshot_type=SnapshotType.BEFORE_MERGE)
        guest_items = list(
            guest_cart.items.select_related("variant__product")
            .annotate(units_available=units_available_of("variant_id"))
            .order_by("created_at", "pk")
        )
        guest_cart.status = CartStatus.MERGED
        guest_cart.save(update_fields=["status", "updated_at"])
        if not guest_items:
            return MergeResult(cart=customer_cart)
        if customer_cart is None:
            customer_cart = _active_cart_locked_or_new(user=user)
        orderable = set(
            ProductVariant.objects.orderable()
            .filter(pk__in=[item.variant_id for item in guest_items])
            .values_list("pk", flat=True)
        )
        lines = {item.variant_id: item for item in customer_cart.items.all()}
        added = 0
        capped: list[tuple[str, int]] = []
        not_added: list[str] = []
        for guest_item in guest_items:
            variant = guest_item.variant
            title = item_title(variant)
            line = lines.get(variant.pk)
            have = line.quantity if line is not None else 0
            room = min(settings.ORDER_MAX_LINE_QUANTITY, guest_item.units_available) - have
            if variant.pk not in orderable or guest_item.units_available <= 0:
                not_added.append(title)
                continue
            if line is None and len(lines) >= settings.ORDER_MAX_LINES:
                not_added.append(title)
                continue
            take = max(min(guest_item.quantity, room), 0)
            if take < guest_item.quantity:
                if take == 0 and line is None:
                    not_added.append(title)
                    continue
                capped.append((title, have + take))
            if take == 0:
                continue
            if line is None:
                lines[variant.pk] = CartItem.objects.create(
                    cart=customer_cart, variant=variant, quantity=take, unit_price=variant.price
                )
            else:
                line.quantity = have + take
                line.unit_price = variant.price
                line.save(update_fields=["quantity", "unit_price", "updated_at"])
            added += take
        _total_refresh(customer_cart)
    return MergeResult(cart=customer_cart, added=added, capped=capped, not_added=not_added)


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
