"""Saved carts ("save this cart for later") and emptying the cart.

A saved cart is a copy: a `Cart` with status `saved` (never an active cart: `active_carts` reads
status `active` only) holding its own items at the catalogue's prices of the moment it was saved,
and a `SavedCart` row naming it. Restoring adds the copy's lines into the active cart at today's
prices, as far as stock and the cart's limits allow; the saved cart stays, to be restored again,
until it expires (`saved_carts_expire`, daily) or the customer deletes it.

Lock order, as every cart service (carts/services.py): the owner's active cart row first, then
the saved cart's rows (`SavedCart` and its copy `Cart`).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Guest, User
from catalog.models import ProductVariant
from common.exceptions import NotFoundError
from common.money import ZERO, money
from inventory.selectors import units_available_of

from .exceptions import NothingToSaveError, SavedCartInvalidError, SavedCartsLimitError
from .models import Cart, CartItem, CartStatus, SavedCart, SnapshotType
from .services import _active_cart_locked, _active_cart_locked_or_new, _total_refresh, cart_snapshot_take

NAME_MAX_LENGTH = SavedCart._meta.get_field("name").max_length or 100
DESCRIPTION_MAX_LENGTH = SavedCart._meta.get_field("description").max_length or 1000

# How many expired saved carts one transaction of `saved_carts_expire` removes.
EXPIRE_BATCH = 500


def line_label(variant: ProductVariant) -> str:
    """How a message names a line: "Blue teapot" or "Blue teapot (Large)"."""
    title = variant.product.title
    return f"{title} ({variant.name})" if variant.name else title


def _clean_text(value: object, *, limit: int, required: bool, what: str) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise SavedCartInvalidError(_("Give the saved cart's %(what)s as text.") % {"what": what})
    text = value.strip()
    if required and not text:
        raise SavedCartInvalidError(_("Give the saved cart a name."))
    if len(text) > limit:
        raise SavedCartInvalidError(
            _("The saved cart's %(what)s can be at most %(n)d characters.") % {"what": what, "n": limit}
        )
    return text


def saved_carts_live(*, user: User) -> QuerySet[SavedCart]:
    """The customer's saved carts not yet expired (an expired one is gone, even before the task)."""
    return SavedCart.objects.filter(customer=user, expires_at__gt=timezone.now())


def saved_cart_create(*, user: User, name: str, description: str = "") -> SavedCart:
    """Keep a named copy of the customer's active cart (its lines at today's prices) for later.

    The active cart is left as it is; a `saved` snapshot of it is taken too.

    Raises SavedCartInvalidError (no name, or too long), NothingToSaveError (an empty cart),
    SavedCartsLimitError (SAVED_CARTS_MAX saved carts already).
    """
    name = _clean_text(name, limit=NAME_MAX_LENGTH, required=True, what=_("name"))
    description = _clean_text(description, limit=DESCRIPTION_MAX_LENGTH, required=False, what=_("description"))
    with transaction.atomic():
        cart = _active_cart_locked(user=user)
        items = list(cart.items.select_related("variant").order_by("created_at", "pk")) if cart is not None else []
        if cart is None or not items:
            raise NothingToSaveError()
        # Two saves of one customer wait for each other on the active cart's lock: the count holds.
        if saved_carts_live(user=user).count() >= settings.SAVED_CARTS_MAX:
            raise SavedCartsLimitError(
                _("You can keep at most %(n)d saved carts. Delete one first.") % {"n": settings.SAVED_CARTS_MAX}
            )
        cart_snapshot_take(cart=cart, snapshot_type=SnapshotType.SAVED)
        total = money(sum((item.variant.price * item.quantity for item in items), ZERO))
        copy = Cart.objects.create(
            customer=user,
            status=CartStatus.SAVED,
            currency=cart.currency,
            total_amount=total,
            exit_page=cart.exit_page,
            device_type=cart.device_type,
            referral_source=cart.referral_source,
        )
        CartItem.objects.bulk_create(
            [
                CartItem(cart=copy, variant_id=item.variant_id, quantity=item.quantity, unit_price=item.variant.price)
                for item in items
            ]
        )
        now = timezone.now()
        return SavedCart.objects.create(
            cart=copy,
            customer=user,
            name=name,
            description=description,
            saved_at=now,
            expires_at=now + timedelta(days=settings.SAVED_CART_DAYS),
        )


@dataclass(frozen=True)
class RestoredLine:
    title: str
    quantity: int  # restored: units added; capped: units of it in the cart now


@dataclass(frozen=True)
class SkippedLine:
    title: str
    reason: str  # "unavailable" (no longer for sale) or "cart_full" (ORDER_MAX_LINES lines already)


@dataclass
class RestoreResult:
    """What a restore did, for the message: lines added in full, lines added only in part (less
    stock or the line limit; `quantity` is what the cart holds of it now, 0 when sold out), and
    lines left out."""

    cart: Cart
    name: str  # the saved cart's
    restored: list[RestoredLine] = field(default_factory=list)
    capped: list[RestoredLine] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)
    item_count: int = 0  # units in the active cart afterwards

    @property
    def added(self) -> int:
        return sum(line.quantity for line in self.restored)


def _saved_cart_locked(*, user: User, saved_cart_id: int) -> SavedCart:
    # FOR UPDATE over the join: the SavedCart row and its copy cart's row, both.
    saved = (
        SavedCart.objects.select_for_update()
        .select_related("cart")
        .filter(
            pk=saved_cart_id,
            customer=user,
            expires_at__gt=timezone.now(),
            cart__status=CartStatus.SAVED,
            cart__deleted_at__isnull=True,
        )
        .first()
    )
    if saved is None:
        raise NotFoundError(_("No such saved cart."))
    return saved


def _valid_id(saved_cart_id: object) -> int:
    if isinstance(saved_cart_id, bool) or not isinstance(saved_cart_id, int) or not 0 < saved_cart_id < 2**63:
        raise NotFoundError(_("No such saved cart."))
    return saved_cart_id


def saved_cart_restore(*, user: User, saved_cart_id: int) -> RestoreResult:
    """Add a saved cart's lines into the customer's active cart (made if there is none).

    Each line goes in at today's price; quantities add to what the cart holds, up to the units
    available and ORDER_MAX_LINE_QUANTITY; a line whose product is no longer for sale, or that
    would make more than ORDER_MAX_LINES lines, is left out. The saved cart stays.

    Raises NotFoundError (not the customer's, expired or deleted).
    """
    saved_cart_id = _valid_id(saved_cart_id)
    with transaction.atomic():
        cart = _active_cart_locked_or_new(user=user)
        saved = _saved_cart_locked(user=user, saved_cart_id=saved_cart_id)
        lines = list(
            saved.cart.items.select_related("variant__product")
            .annotate(
                units_available=units_available_of("variant_id"),
                for_sale=Exists(ProductVariant.objects.orderable().filter(pk=OuterRef("variant_id"))),
            )
            .order_by("created_at", "pk")
        )
        held = {item.variant_id: item for item in cart.items.select_related("variant")}
        result = RestoreResult(cart=cart, name=saved.name)
        now = timezone.now()
        for line in lines:
            title = line_label(line.variant)
            if not line.for_sale:
                result.skipped.append(SkippedLine(title, "unavailable"))
                continue
            item = held.get(line.variant_id)
            if item is None and len(held) >= settings.ORDER_MAX_LINES:
                result.skipped.append(SkippedLine(title, "cart_full"))
                continue
            before = item.quantity if item is not None else 0
            wanted = before + line.quantity
            most = min(settings.ORDER_MAX_LINE_QUANTITY, max(line.units_available, 0))
            kept = max(min(wanted, most), before)  # never takes away what the cart held already
            if kept < wanted:
                result.capped.append(RestoredLine(title, kept))
            else:
                result.restored.append(RestoredLine(title, line.quantity))
            if kept == before:
                continue
            price = line.variant.price
            if item is None:
                held[line.variant_id] = CartItem.objects.create(
                    cart=cart, variant_id=line.variant_id, quantity=kept, unit_price=price
                )
            else:
                item.quantity, item.unit_price, item.updated_at = kept, price, now
                item.save(update_fields=["quantity", "unit_price", "updated_at"])
        _total_refresh(cart)
        result.item_count = cart.items.aggregate(units=Sum("quantity"))["units"] or 0
    return result


def saved_cart_delete(*, user: User, saved_cart_id: int) -> None:
    """Delete one of the customer's saved cart (its copy cart soft-deleted). Raises NotFoundError."""
    saved_cart_id = _valid_id(saved_cart_id)
    with transaction.atomic():
        saved = _saved_cart_locked(user=user, saved_cart_id=saved_cart_id)
        Cart.objects.filter(pk=saved.cart_id).update(deleted_at=timezone.now())
        saved.delete()


def saved_carts_expire() -> int:
    """Remove every saved cart past its `expires_at` (its copy cart soft-deleted); how many went.

    Idempotent, and safe to run twice at once: each run takes the rows it deletes with
    SKIP LOCKED, so two runs share the work and every saved cart goes exactly once."""
    removed = 0
    while True:
        with transaction.atomic():
            now = timezone.now()
            rows = list(
                SavedCart.objects.select_for_update(skip_locked=True)
                .filter(expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "cart_id")[:EXPIRE_BATCH]
            )
            if not rows:
                return removed
            pks, cart_ids = [pk for pk, _ in rows], [cart_id for _, cart_id in rows]
            # Conditional: a row another run (or the customer) removed meanwhile is not counted.
            deleted, _per_model = SavedCart.objects.filter(pk__in=pks, expires_at__lte=now).delete()
            Cart.objects.filter(pk__in=cart_ids, status=CartStatus.SAVED).update(deleted_at=now)
            removed += deleted
        if len(rows) < EXPIRE_BATCH:
            return removed


def cart_clear(*, user: User | None = None, guest: Guest | None = None) -> int:
    """Empty the owner's active cart: a `before_clearing` snapshot first, then every line taken
    out (soft-deleted) and the total 0, in one transaction with the cart locked. How many lines
    went (0, and no snapshot, for an empty cart or none)."""
    with transaction.atomic():
        cart = _active_cart_locked(user=user, guest=guest)
        if cart is None or not cart.items.exists():
            return 0
        cart_snapshot_take(cart=cart, snapshot_type=SnapshotType.BEFORE_CLEARING)
        now = timezone.now()
        removed = cart.items.update(deleted_at=now, updated_at=now)
        _total_refresh(cart)  # total 0, last activity now, the customer's header count bumped
    return removed
