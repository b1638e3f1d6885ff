"""An order's status changes. Cancelling (stock, coupon, wallet back) is `cancellations`.

Lock order (see the package's docstring): cart row -> order row -> issued coupon -> inventory
rows (by primary key) -> wallet -> order-number counter.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.http import USER_AGENT_MAX_LENGTH

from ..models import (
    TRANSITIONS,
    ActorRole,
    Order,
    OrderHistory,
    OrderState,
    SnapshotReason,
)
from .snapshots import order_snapshot_take


def _customer_order_for_update(*, order_id: int, user: User | None, as_staff: bool) -> Order:
    orders = Order.objects.select_for_update()
    if not as_staff:
        orders = orders.filter(customer=user)  # another customer's order does not exist for you
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFoundError(_("No such order."))
    return order


def _transition(
    order: Order,
    to: str,
    *,
    actor: User | None,
    reason: str,
    actor_role: str = ActorRole.STAFF,
    ip_address: str | None = None,
    user_agent: str = "",
    also_update: tuple[str, ...] = (),
) -> None:
    """Change the locked `order`'s status: refuse a change not in TRANSITIONS, save it (with the
    fields in `also_update`), write the history row and the snapshot. Every status change passes
    here, so every one is recorded and snapshotted.
    """
    current = str(order.status_id)
    if to not in TRANSITIONS[OrderState(current)]:
        raise InvalidTransitionError(
            _("An order that is %(current)s cannot become %(to)s.")
            % {"current": OrderState(current).label, "to": OrderState(to).label},
            extra={"from": current, "to": to},
        )
    order.status_id = to
    order.save(update_fields=["status", *also_update, "updated_at"])
    OrderHistory.objects.create(
        order=order,
        actor=actor,
        actor_role=actor_role,
        previous_value=current,
        new_value=to,
        reason=reason[:255],
        ip_address=ip_address,
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
    )
    order_snapshot_take(order=order, reason=SnapshotReason.STATUS_CHANGE)


def order_transition(
    *,
    order_id: int,
    to: str,
    actor: User | None,
    reason: str = "",
    actor_role: str = ActorRole.STAFF,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Order:
    """Move an order along (processing, shipped, delivered): staff from the console, or the
    fulfilment services as shipments go out and arrive (`actor_role` says which). Cancelling has
    its own service.
    """
    if to in (OrderState.CANCELLED, OrderState.REFUNDED):
        raise InvalidTransitionError(_("Use cancel to cancel an order."))
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=actor, as_staff=True)
        _transition(
            order, to, actor=actor, reason=reason, actor_role=actor_role, ip_address=ip_address, user_agent=user_agent
        )
    return order
