"""Reads of carts for the cart page and the header.

Every read takes the cart's owner as `user=` (a signed-in customer) or `guest=` (a visitor's
`Guest`), exactly one of them (`owner_filter`).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.models import Guest, User
from common.money import ZERO, money
from common.prepared import PreparedQuery
from common.public_cache import customer_value
from inventory.selectors import units_available_of

from .models import Cart, CartItem, CartStatus

if TYPE_CHECKING:
    from catalog.models import ProductVariant


def item_title(variant: "ProductVariant") -> str:
    """How the carts' messages name an item: its product's title (the page shows the option)."""
    return variant.product.title


def owner_filter(*, user: User | None = None, guest: Guest | None = None) -> dict[str, object]:
    """The cart filter for one owner: a customer or a guest, exactly one (a bug otherwise)."""
    if (user is None) == (guest is None):
        raise TypeError("A cart belongs to a customer or to a guest: pass exactly one of user= and guest=")
    return {"customer": user} if user is not None else {"guest": guest}


def active_carts(*, user: User | None = None, guest: Guest | None = None) -> QuerySet[Cart]:
    """The owner's active cart (at most one: a partial unique constraint), soft-deleted ones hidden.

    The one definition the page, the header's count and the services (which lock it) share."""
    return _active_carts_by(**owner_filter(user=user, guest=guest))


def _active_carts_by(**owner: object) -> QuerySet[Cart]:
    return Cart.objects.filter(status=CartStatus.ACTIVE, **owner)


@dataclass(frozen=True)
class CartLine:
    item: CartItem
    price_now: Decimal  # the catalogue's price: what checkout charges
    line_total: Decimal
    price_changed: bool  # since the item was added
    available: int = 0  # units available now, across every warehouse
    stock_problem: str | None = None  # "Only 2 left of Blue teapot", "Blue teapot is sold out"


def stock_problem_of(*, title: str, quantity: int, available: int) -> str | None:
    """What the cart page says of a line that holds more than the stock has (None: nothing)."""
    if available <= 0:
        return _("%(title)s is sold out") % {"title": title}
    if quantity > available:
        return _("Only %(available)d left of %(title)s") % {"available": available, "title": title}
    return None


@dataclass(frozen=True)
class CartView:
    cart: Cart | None
    lines: list[CartLine]
    total: Decimal  # at today's prices, before any coupon

    @property
    def item_count(self) -> int:
        return sum(line.item.quantity for line in self.lines)


def _lines_for_page(carts: QuerySet[Cart]) -> QuerySet[CartItem]:
    return (
        CartItem.objects.filter(cart__in=carts)
        .select_related("cart", "variant__product")
        .annotate(units_available=units_available_of("variant_id"))
        .order_by("created_at", "pk")
    )


# Read on every cart page: compiled once per worker (common/prepared.py), the ORM's statement
# building was a third of the page's CPU.
# (Typed Any: CartItem rows with their `units_available` annotation.)
_LINES_OF_CUSTOMER: PreparedQuery[Any] = PreparedQuery(
    lambda customer_id: _lines_for_page(_active_carts_by(customer_id=customer_id))
)
_LINES_OF_GUEST: PreparedQuery[Any] = PreparedQuery(
    lambda guest_id: _lines_for_page(_active_carts_by(guest_id=guest_id))
)


def cart_for_page(*, user: User | None = None, guest: Guest | None = None) -> CartView:
    """The owner's active cart with each line at today's price and its stock (one query, any size).

    The lines come with their cart, variant and product in one join, and each line's units
    available by a correlated subquery of the same statement; a line holding more than that is
    flagged (`stock_problem`), never dropped. A cart with no lines is shown as no cart (the page
    says it is empty either way)."""
    owner_filter(user=user, guest=guest)  # exactly one owner
    if user is not None:
        items = _LINES_OF_CUSTOMER.run(customer_id=user.pk)
    else:
        assert guest is not None
        items = _LINES_OF_GUEST.run(guest_id=guest.pk)
    if not items:
        return CartView(cart=None, lines=[], total=ZERO)
    lines = []
    for item in items:
        price_now = item.variant.price
        lines.append(
            CartLine(
                item=item,
                price_now=price_now,
                line_total=money(price_now * item.quantity),
                price_changed=price_now != item.unit_price,
                available=item.units_available,
                stock_problem=stock_problem_of(
                    title=item_title(item.variant), quantity=item.quantity, available=item.units_available
                ),
            )
        )
    return CartView(cart=items[0].cart, lines=lines, total=money(sum((line.line_total for line in lines), ZERO)))


def cart_item_count(*, user: User | None = None, guest: Guest | None = None) -> int:
    """Units in the owner's active cart, for the header's cart link (one query)."""
    lines = CartItem.objects.filter(cart__in=active_carts(user=user, guest=guest))
    return lines.aggregate(units=Sum("quantity"))["units"] or 0


def cart_item_count_kept(*, user: User) -> int:
    """`cart_item_count`, kept under the customer's generation (`customer_value`): the header
    shows it on every page, and only the cart services and checkout change it (they bump)."""
    return customer_value(user.pk, "carts:item_count", lambda: cart_item_count(user=user))
