"""An order's status changes: staff moving it along, and cancellation (stock, coupon, wallet back).

Lock order (see the package's docstring): cart row -> order row -> issued coupon -> inventory
rows (by primary key) -> wallet -> order-number counter.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.http import USER_AGENT_MAX_LENGTH
from inventory.services import stock_return_for_order_items
from payments.services import order_payments_refund
from promotions.services import issued_coupon_release

from ..cache import popular_products_changed
from ..exceptions import OrderNotCancellableError
from ..models import (
    CANCELLABLE_BY_CUSTOMER,
    TRANSITIONS,
    ActorRole,
    NotificationKind,
    Order,
    OrderHistory,
    OrderState,
    ProductSaleStat,
    SnapshotReason,
)
from .notifications import order_notification_queue
from .sales import _daily_sales_take_back
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


def order_cancel(
    *,
    order_id: int,
    user: User,
    reason: str = "",
    as_staff: bool = False,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Order:
    """Cancel a paid order before it ships: stock back, wallet refunded, coupon usable again.

    A customer can cancel only their own order (another's is NotFoundError). Raises
    OrderNotCancellableError once the order has shipped.
    """
    reason = reason.strip() or ("Cancelled by staff" if as_staff else "Cancelled by customer")
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=user, as_staff=as_staff)
        if order.status_id not in CANCELLABLE_BY_CUSTOMER:
            raise OrderNotCancellableError(extra={"status": order.status_id})
        if order.issued_coupon_id:
            issued_coupon_release(issued_coupon_id=order.issued_coupon_id, order_id=order.pk)
        item_ids = list(order.items.values_list("pk", flat=True))
        stock_return_for_order_items(order_item_ids=item_ids, reference=f"order:{order.pk}", reason=reason, actor=user)
        order_payments_refund(order_id=order.pk, reason=reason, actor=user)
        # The reversal is dated on the day of the sale, so live stats and the daily rollup
        # (which counts orders by the day they were paid) always agree.
        sale_day = (order.paid_at or timezone.now()).date()
        ProductSaleStat.objects.bulk_create(
            [
                ProductSaleStat(product_id=item.product_id, order_item=item, quantity=-item.quantity, date=sale_day)
                for item in order.items.all()
            ]
        )
        _daily_sales_take_back(order_id=order.pk, day=sale_day)
        popular_products_changed()  # after commit
        order.cancelled_at = timezone.now()
        _transition(
            order,
            OrderState.CANCELLED,
            actor=user,
            reason=reason,
            actor_role=ActorRole.STAFF if as_staff else ActorRole.CUSTOMER,
            ip_address=ip_address,
            user_agent=user_agent,
            also_update=("cancelled_at",),
        )
        order_notification_queue(order=order, kind=NotificationKind.CANCELLATION)
    return order
