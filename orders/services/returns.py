"""Returns (RMA): a customer asks to send delivered lines back; staff approve or reject, receive,
inspect (resaleable goods go back to stock) and refund (through `payments.services.order_refund`,
the one cap on money given back for an order).

Every step locks the order row, then the return row (the shop's lock order: order -> return ->
inventory rows -> payments -> wallet -> the sale day's rollup lock, taken when a refund brings
the whole order back), refuses a step not in `RETURN_TRANSITIONS` with nothing
changed, records who and when, writes an `OrderHistory` row and queues the customer's e-mail in the
same transaction.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.money import CENT, ZERO, money
from inventory.services import stock_return_for_order_item
from payments.models import RefundDestination
from payments.services import order_refund

from ..exceptions import InvalidReturnError, ReturnNotAllowedError, ReturnQuantityError
from ..models import (
    RETURN_REASONS_SHOP_PAYS,
    RETURN_TRANSITIONS,
    TRANSITIONS,
    ActorRole,
    NotificationKind,
    Order,
    OrderHistory,
    OrderItem,
    OrderReturn,
    OrderReturnItem,
    OrderState,
    ReturnCondition,
    ReturnReason,
    ReturnStatus,
)
from ..selectors import order_items_with_delivery, return_window_closes_at, returned_quantities
from .lifecycle import _transition
from .notifications import order_notification_queue
from .sales import order_sale_take_back

NOTIFICATION_OF: dict[str, NotificationKind] = {
    ReturnStatus.REQUESTED: NotificationKind.RETURN_REQUESTED,
    ReturnStatus.APPROVED: NotificationKind.RETURN_APPROVED,
    ReturnStatus.REJECTED: NotificationKind.RETURN_REJECTED,
    ReturnStatus.RECEIVED: NotificationKind.RETURN_RECEIVED,
    ReturnStatus.INSPECTED: NotificationKind.RETURN_INSPECTED,
    ReturnStatus.REFUNDED: NotificationKind.RETURN_REFUNDED,
}


@dataclass(frozen=True)
class ReturnLine:
    order_item_id: int
    quantity: int


def line_paid_value(*, order: Order, item: OrderItem, quantity: int) -> Decimal:
    """What the customer paid for `quantity` units of a line: price x quantity, less the line's
    share of the order's discount (in proportion to the subtotal), rounded half up to the cent.

    Shipping and tax of the order are not part of it.
    """
    gross = item.unit_price * quantity
    if not order.discount_amount or not order.subtotal:
        return money(gross)
    paid_share = (order.subtotal - order.discount_amount) / order.subtotal
    return (gross * paid_share).quantize(CENT, rounding=ROUND_HALF_UP)


def _history(
    rma: OrderReturn,
    *,
    before: str,
    after: str,
    actor: User | None,
    reason: str,
    ip_address: str | None,
    user_agent: str,
) -> None:
    OrderHistory.objects.create(
        order_id=rma.order_id,
        actor=actor,
        change_type="return",
        field_name="return_status",
        previous_value=before,
        new_value=after,
        reason=(f"{rma}: {reason}" if reason else str(rma))[:255],
        ip_address=ip_address,
        user_agent=user_agent[:512],
    )


def _notify(rma: OrderReturn, status: str) -> None:
    order_notification_queue(
        order=rma.order, kind=NOTIFICATION_OF[status], event_key=f"return:{rma.pk}", context={"return_id": rma.pk}
    )


def return_request(
    *,
    order_id: int,
    user: User,
    lines: Sequence[ReturnLine],
    reason: str,
    reason_text: str = "",
    destination: str = RefundDestination.ORIGINAL,
    ip_address: str | None = None,
    user_agent: str = "",
    now: dt.datetime | None = None,
) -> OrderReturn:
    """The customer asks to return some delivered lines of their own order.

    Only delivered lines, within ORDER_RETURN_WINDOW_DAYS of delivery, and never more units of a
    line than were bought less those already returned or being returned: the order row is locked
    while the quantities are counted, so two requests in parallel cannot both take the last unit.

    Raises NotFoundError (not the customer's order), InvalidReturnError (bad input),
    ReturnNotAllowedError (not delivered, window closed), ReturnQuantityError.
    """
    if reason not in ReturnReason.values:
        raise InvalidReturnError(_("Choose a reason."), extra={"field": "reason"})
    if destination not in RefundDestination.values:
        raise InvalidReturnError(_("Choose where the refund goes."), extra={"field": "destination"})
    if not lines:
        raise InvalidReturnError(_("Choose at least one item to return."), extra={"field": "items"})
    wanted: dict[int, int] = {}
    for line in lines:
        if line.quantity <= 0:
            raise InvalidReturnError(_("Return at least one unit of each item you choose."), extra={"field": "items"})
        # The same line named twice is one line with both quantities (the quantity rule then judges it).
        wanted[line.order_item_id] = wanted.get(line.order_item_id, 0) + line.quantity
    now = now or timezone.now()
    with transaction.atomic():
        # The order row is the lock every return of this order queues on (see the module's docstring).
        order = Order.objects.select_for_update().filter(pk=order_id, customer=user).first()
        if order is None:
            raise NotFoundError(_("No such order."))
        items = {item.pk: item for item in order_items_with_delivery(order=order).filter(pk__in=list(wanted))}
        unknown = sorted(set(wanted) - set(items))
        if unknown:
            raise InvalidReturnError(
                _("Item %(id)s is not part of this order.") % {"id": unknown[0]},
                extra={"field": "items", "order_item_id": unknown[0]},
            )
        for item_id in sorted(wanted):
            item = items[item_id]
            closes = return_window_closes_at(item.delivered_at)  # type: ignore[attr-defined]
            if closes is None:
                raise ReturnNotAllowedError(
                    _("%(item)s has not been delivered yet.") % {"item": item.product_title},
                    extra={"order_item_id": item_id, "why": "not_delivered"},
                )
            if now > closes:
                raise ReturnNotAllowedError(
                    _("The return window for %(item)s closed on %(date)s.")
                    % {"item": item.product_title, "date": closes.date().isoformat()},
                    extra={"order_item_id": item_id, "why": "window_closed", "closed_at": closes.isoformat()},
                )
        held = returned_quantities(order_item_ids=list(wanted))
        for item_id in sorted(wanted):
            returnable = items[item_id].quantity - held.get(item_id, 0)
            if wanted[item_id] > returnable:
                raise ReturnQuantityError(
                    _("You can return at most %(n)d of %(item)s.")
                    % {"n": max(returnable, 0), "item": items[item_id].product_title},
                    extra={"order_item_id": item_id, "returnable": max(returnable, 0), "requested": wanted[item_id]},
                )
        values = {
            item_id: line_paid_value(order=order, item=items[item_id], quantity=quantity)
            for item_id, quantity in wanted.items()
        }
        rma = OrderReturn.objects.create(
            order=order,
            customer=user,
            reason=reason,
            reason_text=reason_text.strip(),
            refund_destination=destination,
            currency=order.currency,
            items_value=sum(values.values(), ZERO),
            customer_pays_shipping=reason not in RETURN_REASONS_SHOP_PAYS,
        )
        OrderReturnItem.objects.bulk_create(
            [
                OrderReturnItem(order_return=rma, order_item_id=item_id, quantity=quantity, value=values[item_id])
                for item_id, quantity in sorted(wanted.items())
            ]
        )
        _history(
            rma,
            before="",
            after=ReturnStatus.REQUESTED,
            actor=user,
            reason=str(ReturnReason(reason).label),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        _notify(rma, ReturnStatus.REQUESTED)
    return rma


def _locked_return(return_id: int) -> OrderReturn:
    order_id = OrderReturn.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFoundError(_("No such return."))
    order = Order.objects.select_for_update().select_related("customer").get(pk=order_id)
    rma = OrderReturn.objects.select_for_update().get(pk=return_id)
    rma.order = order
    return rma


def _step(
    rma: OrderReturn,
    to: ReturnStatus,
    *,
    actor: User | None,
    reason: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[str]:
    """Move the (locked) return to `to`, or raise with nothing changed; the fields it set."""
    current = rma.status
    if to not in RETURN_TRANSITIONS[ReturnStatus(current)]:
        raise InvalidTransitionError(
            _("A return that is %(current)s cannot become %(to)s.")
            % {"current": ReturnStatus(current).label.lower(), "to": ReturnStatus(to).label.lower()},
            extra={"from": current, "to": str(to)},
        )
    rma.status = to
    setattr(rma, f"{to}_at", timezone.now())
    setattr(rma, f"{to}_by", actor)
    _history(rma, before=current, after=to, actor=actor, reason=reason, ip_address=ip_address, user_agent=user_agent)
    _notify(rma, to)
    return ["status", f"{to}_at", f"{to}_by", "updated_at"]


def _amount(value: Decimal | str | None, field: str) -> Decimal | None:
    if value is None:
        return None
    amount = money(value)
    if amount < ZERO:
        raise InvalidReturnError(_("An amount cannot be negative."), extra={"field": field})
    return amount


def return_approve(
    *,
    return_id: int,
    actor: User,
    return_shipping_cost: Decimal | None = None,
    customer_pays_shipping: bool | None = None,
    restocking_fee: Decimal | None = None,
    notes: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderReturn:
    """Staff accept the request; the costs set here come off the refund (see `OrderReturn`)."""
    shipping = _amount(return_shipping_cost, "return_shipping_cost")
    fee = _amount(restocking_fee, "restocking_fee")
    with transaction.atomic():
        rma = _locked_return(return_id)
        fields = _step(
            rma, ReturnStatus.APPROVED, actor=actor, reason=notes, ip_address=ip_address, user_agent=user_agent
        )
        if shipping is not None:
            rma.return_shipping_cost = shipping
        if customer_pays_shipping is not None:
            rma.customer_pays_shipping = customer_pays_shipping
        if fee is not None:
            rma.restocking_fee = fee
        if notes.strip():
            rma.notes = notes.strip()
        rma.save(update_fields=[*fields, "return_shipping_cost", "customer_pays_shipping", "restocking_fee", "notes"])
    return rma


def return_reject(
    *, return_id: int, actor: User, reason: str, ip_address: str | None = None, user_agent: str = ""
) -> OrderReturn:
    """Staff refuse the return (before the goods are received); the customer is told why."""
    reason = reason.strip()
    if not reason:
        raise InvalidReturnError(_("Say why the return is rejected."), extra={"field": "reason"})
    with transaction.atomic():
        rma = _locked_return(return_id)
        fields = _step(
            rma, ReturnStatus.REJECTED, actor=actor, reason=reason, ip_address=ip_address, user_agent=user_agent
        )
        rma.rejection_reason = reason[:255]
        rma.save(update_fields=[*fields, "rejection_reason"])
    return rma


def return_receive(
    *,
    return_id: int,
    actor: User,
    tracking_number: str = "",
    carrier: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderReturn:
    """The parcel is back at the warehouse."""
    with transaction.atomic():
        rma = _locked_return(return_id)
        fields = _step(
            rma,
            ReturnStatus.RECEIVED,
            actor=actor,
            reason=tracking_number.strip(),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        if tracking_number.strip():
            rma.return_tracking_number = tracking_number.strip()[:64]
        if carrier.strip():
            rma.return_carrier = carrier.strip()[:80]
        rma.save(update_fields=[*fields, "return_tracking_number", "return_carrier"])
    return rma


def return_inspect(
    *,
    return_id: int,
    actor: User,
    condition_rating: int,
    inspection_notes: str = "",
    restocking_fee: Decimal | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderReturn:
    """Record the goods' condition; resaleable goods (rating >= GOOD) go back to stock, once.

    The stock movement is a `return` row in the inventory ledger, on the shelf each line was sold
    from. Once: the step happens once under the return's lock (a retry or a parallel second call
    is refused as an invalid transition), and the ledger refuses a second movement with the same
    `return:<id>` reference.
    """
    if condition_rating not in ReturnCondition.values:
        raise InvalidReturnError(_("Choose a condition from 1 to 5."), extra={"field": "condition_rating"})
    fee = _amount(restocking_fee, "restocking_fee")
    with transaction.atomic():
        rma = _locked_return(return_id)
        fields = _step(
            rma,
            ReturnStatus.INSPECTED,
            actor=actor,
            reason=str(ReturnCondition(condition_rating).label),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        rma.condition_rating = condition_rating
        rma.inspection_notes = inspection_notes.strip()
        if fee is not None:
            rma.restocking_fee = fee
        fields += ["condition_rating", "inspection_notes", "restocking_fee"]
        if rma.is_resaleable:
            for line in rma.items.order_by("order_item_id"):
                stock_return_for_order_item(
                    order_item_id=line.order_item_id,
                    quantity=line.quantity,
                    reference=f"return:{rma.pk}",
                    reason=f"{rma} inspected: {ReturnCondition(condition_rating).label}",
                    actor=actor,
                )
            rma.restocked_at = timezone.now()
            fields.append("restocked_at")
        rma.save(update_fields=fields)
    return rma


def _order_refunded_if_all_back(rma: OrderReturn, *, actor: User, ip_address: str | None, user_agent: str) -> bool:
    """After `rma` is refunded: when every unit of every line of its (locked) order has come back
    in refunded returns, the order is refunded (a status change through the transition table,
    with its history row and snapshot) and its sale taken back like a cancellation's. Whether it
    did.

    Only a delivered order becomes refunded (TRANSITIONS): a shipped one still has lines on their
    way, which cannot be returned before they arrive (so it is never all back); a cancelled one
    was undone already. What the shop kept (return shipping, restocking fee, the order's own
    shipping and tax) does not hold the order back: the goods are all back and refunded on the
    terms of their returns. A return of part of the order leaves its status as it is.
    """
    order = rma.order
    if OrderState.REFUNDED not in TRANSITIONS[OrderState(str(order.status_id))]:
        return False
    back = dict(
        OrderReturnItem.objects.filter(order_return__order_id=order.pk, order_return__status=ReturnStatus.REFUNDED)
        .values("order_item_id")
        .annotate(units=Sum("quantity"))
        .order_by()
        .values_list("order_item_id", "units")
    )
    if any(back.get(item_id, 0) < quantity for item_id, quantity in order.items.values_list("pk", "quantity")):
        return False
    order_sale_take_back(order=order)
    _transition(
        order,
        OrderState.REFUNDED,
        actor=actor,
        reason=f"{rma}: every item returned and refunded",
        actor_role=ActorRole.STAFF,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return True


def return_refund(*, return_id: int, actor: User, ip_address: str | None = None, user_agent: str = "") -> OrderReturn:
    """Give back `refund_due` to the original payment or as store credit, within what was paid.

    A refund due of zero (fees as large as the value) moves no money but still closes the return.
    The return that brings the last unit of the order back makes the order refunded, in the same
    transaction (`_order_refunded_if_all_back`). Raises RefundExceedsPaymentError (nothing
    changed) when cancellations, other returns or compensation already gave back what the
    order's payments hold.
    """
    with transaction.atomic():
        rma = _locked_return(return_id)
        amount = rma.refund_due
        fields = _step(
            rma,
            ReturnStatus.REFUNDED,
            actor=actor,
            reason=f"{amount} {rma.currency}",
            ip_address=ip_address,
            user_agent=user_agent,
        )
        if amount > ZERO:
            order_refund(
                order_id=rma.order_id,
                amount=amount,
                reason=f"Return {rma}",
                actor=actor,
                destination=rma.refund_destination,
                reference=f"return:{rma.pk}",
            )
        rma.refund_amount = amount
        rma.save(update_fields=[*fields, "refund_amount"])
        _order_refunded_if_all_back(rma, actor=actor, ip_address=ip_address, user_agent=user_agent)
    return rma
