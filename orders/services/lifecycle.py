"""An order's status changes by staff. Cancelling (stock, coupon, wallet back) is `cancellations`.

Lock order (see the package's docstring): cart row -> order row -> issued coupon -> inventory
rows (by primary key) -> wallet -> order-number counter.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError

from ..models import (
    TRANSITIONS,
    Order,
    OrderHistory,
    OrderState,
)


def _customer_order_for_update(*, order_id: int, user: User, as_staff: bool) -> Order:
    orders = Order.objects.select_for_update()
    if not as_staff:
        orders = orders.filter(customer=user)  # another customer's order does not exist for you
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFoundError(_("No such order."))
    return order


def _transition(
    order: Order, to: str, *, actor: User | None, reason: str, ip_address: str | None = None, user_agent: str = ""
) -> None:
    current = str(order.status_id)
    if to not in TRANSITIONS[OrderState(current)]:
        raise InvalidTransitionError(
            _("An order that is %(current)s cannot become %(to)s.")
            % {"current": OrderState(current).label, "to": OrderState(to).label},
            extra={"from": current, "to": to},
        )
    order.status_id = to
    OrderHistory.objects.create(
        order=order,
        actor=actor,
        previous_value=current,
        new_value=to,
        reason=reason[:255],
        ip_address=ip_address,
        user_agent=user_agent[:512],
    )


def order_transition(*, order_id: int, to: str, actor: User, reason: str = "") -> Order:
    """Staff moves an order along (processing, shipped, delivered). Cancelling has its own service."""
    if to in (OrderState.CANCELLED, OrderState.REFUNDED):
        raise InvalidTransitionError(_("Use cancel to cancel an order."))
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=actor, as_staff=True)
        _transition(order, to, actor=actor, reason=reason)
        order.save(update_fields=["status", "updated_at"])
    return order
