"""Cancellations: immediate while nothing has shipped, a request staff approve or reject after.

Lock order (see the package's docstring): order row -> cancellation row -> issued coupon ->
inventory rows (by primary key) -> payments (by primary key, in `payments.services.order_refund`)
-> wallet.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.money import ZERO, money
from inventory.services import stock_return_for_order_items
from payments.services import order_refund, order_refundable
from promotions.services import issued_coupon_release

from ..exceptions import (
    CancellationFeeError,
    CancellationPendingError,
    DecisionReasonRequiredError,
    OrderNotCancellableError,
)
from ..models import (
    CANCELLABLE_BY_CUSTOMER,
    CANCELLATION_TRANSITIONS,
    LIVE_CANCELLATION_STATES,
    ActorRole,
    CancellationReason,
    CancellationStatus,
    NotificationKind,
    Order,
    OrderCancellation,
    OrderHistory,
    OrderState,
)
from ..selectors import order_has_shipment
from .lifecycle import _customer_order_for_update, _transition
from .notifications import order_notification_queue
from .sales import order_sale_take_back

# An order with a shipment can still be cancelled (by request) while it is on its way; once
# delivered, giving it back is a return.
CANCELLABLE_AFTER_SHIPMENT = frozenset({OrderState.PROCESSING, OrderState.SHIPPED})


@dataclass(frozen=True)
class CancellationOutcome:
    cancellation: OrderCancellation
    order: Order

    @property
    def immediate(self) -> bool:
        """True when the order is cancelled now; False for a request waiting for staff."""
        return self.cancellation.status == CancellationStatus.COMPLETED


def _history(
    order: Order,
    cancellation: OrderCancellation,
    previous: str,
    *,
    actor: User | None,
    actor_role: str,
    reason: str,
    ip_address: str | None,
    user_agent: str,
) -> OrderHistory:
    return OrderHistory.objects.create(
        order=order,
        actor=actor,
        actor_role=actor_role,
        change_type="cancellation",
        field_name=f"cancellation:{cancellation.pk}",
        previous_value=previous,
        new_value=cancellation.status,
        reason=reason[:255],
        ip_address=ip_address,
        user_agent=user_agent[:512],
    )


def _step(cancellation: OrderCancellation, to: str) -> str:
    """Move a (locked) cancellation one step of CANCELLATION_TRANSITIONS; the state it left."""
    current = cancellation.status
    if to not in CANCELLATION_TRANSITIONS[current]:
        raise InvalidTransitionError(
            _("A cancellation that is %(current)s cannot become %(to)s.")
            % {"current": CancellationStatus(current).label.lower(), "to": CancellationStatus(to).label.lower()},
            extra={"from": current, "to": to},
        )
    cancellation.status = to
    return current


def _lines_never_shipped(order: Order) -> list[int]:
    """The order's lines whose goods never left, so go back to stock at once. None once the order
    is shipped (by its shipments or by hand from the console); else the lines no shipment carries.
    Goods on their way come back to stock as a return, not here."""
    if order.status_id in (OrderState.SHIPPED, OrderState.DELIVERED):
        return []
    return list(order.items.filter(shipment_line__isnull=True).values_list("pk", flat=True))


def _undo_sale(
    order: Order,
    *,
    actor: User | None,
    reason: str,
    fee: Decimal,
    reference: str,
    actor_role: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Decimal:
    """Cancel a locked order: coupon usable again, stock back (of the lines that never left), what is left of
    its payments minus `fee` refunded, sales taken back, status cancelled. The amount refunded."""
    if order.issued_coupon_id:
        issued_coupon_release(issued_coupon_id=order.issued_coupon_id, order_id=order.pk)
    item_ids = _lines_never_shipped(order)
    if item_ids:
        stock_return_for_order_items(order_item_ids=item_ids, reference=f"order:{order.pk}", reason=reason, actor=actor)
    refundable = order_refundable(order_id=order.pk)
    if fee < ZERO or fee > refundable:
        raise CancellationFeeError(extra={"refundable": str(refundable), "fee": str(fee)})
    # Everything left less the fee, counted again under the payments' lock: a refund granted
    # meanwhile by another door (a return, an issue) makes this one smaller, never the total larger.
    refunds = order_refund(
        order_id=order.pk, amount=None, keep=fee, reason=reason or "cancellation", actor=actor, reference=reference
    )
    refunded = sum((r.amount for r in refunds), ZERO)
    order_sale_take_back(order=order)
    order.cancelled_at = timezone.now()
    _transition(
        order,
        OrderState.CANCELLED,
        actor=actor,
        reason=reason,
        actor_role=actor_role,
        ip_address=ip_address,
        user_agent=user_agent,
        also_update=("cancelled_at",),
    )
    return refunded


def _live_cancellation(order: Order) -> OrderCancellation | None:
    return (
        OrderCancellation.objects.select_for_update()
        .filter(order=order, status__in=LIVE_CANCELLATION_STATES)
        .order_by("pk")
        .first()
    )


def _clean_reason(reason: str) -> str:
    return reason if reason in CancellationReason.values else CancellationReason.OTHER


def _cancel_now(
    order: Order,
    *,
    user: User,
    as_staff: bool,
    reason: str,
    notes: str,
    ip_address: str | None,
    user_agent: str,
) -> OrderCancellation:
    """The immediate cancellation of a locked order nothing of which has shipped."""
    if order.status_id not in CANCELLABLE_BY_CUSTOMER:
        raise OrderNotCancellableError(extra={"status": order.status_id})
    words = notes.strip() or ("Cancelled by staff" if as_staff else "Cancelled by customer")
    now = timezone.now()
    cancellation = OrderCancellation.objects.create(
        order=order,
        requested_by=user,
        decided_by=user if as_staff else None,
        reason=_clean_reason(reason),
        notes=notes.strip(),
        currency=order.currency,
        status=CancellationStatus.COMPLETED,
        approved_at=now,
        completed_at=now,
    )
    cancellation.refund_amount = _undo_sale(
        order,
        actor=user,
        reason=words,
        fee=ZERO,
        reference=f"cancellation:{cancellation.pk}",
        actor_role=ActorRole.STAFF if as_staff else ActorRole.CUSTOMER,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    cancellation.save(update_fields=["refund_amount", "updated_at"])
    # The order's own history row (paid -> cancelled, with the reason) tells this one.
    order_notification_queue(order=order, kind=NotificationKind.CANCELLATION)
    return cancellation


def order_cancel(
    *,
    order_id: int,
    user: User,
    reason: str = "",
    as_staff: bool = False,
    reason_code: str = CancellationReason.OTHER,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Order:
    """Cancel a paid order now: stock back, wallet refunded, coupon usable again, recorded as a
    completed `OrderCancellation`. `reason` is the free text, `reason_code` the choice.

    A customer cancels only their own order (another's is NotFoundError); staff (`as_staff=True`)
    any order. Only while nothing has shipped: after that it is OrderNotCancellableError, and the
    way is a request (`cancellation_request`) that staff approve (`cancellation_approve`).
    """
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=user, as_staff=as_staff)
        if order_has_shipment(order):
            # Once something ships, cancelling is a request staff decide (`cancellation_request`).
            raise OrderNotCancellableError(extra={"status": order.status_id})
        _cancel_now(
            order,
            user=user,
            as_staff=as_staff,
            reason=reason_code,
            notes=reason,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return order


def _request(
    order: Order, *, user: User, reason: str, notes: str, ip_address: str | None, user_agent: str
) -> OrderCancellation:
    cancellation = OrderCancellation.objects.create(
        order=order,
        requested_by=user,
        reason=_clean_reason(reason),
        notes=notes.strip(),
        currency=order.currency,
        status=CancellationStatus.REQUESTED,
    )
    _history(
        order,
        cancellation,
        "",
        actor=user,
        actor_role=ActorRole.CUSTOMER,
        reason=notes or reason,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    order_notification_queue(
        order=order,
        kind=NotificationKind.CANCELLATION_REQUESTED,
        event_key=f"cancellation:{cancellation.pk}",
        context={"cancellation_id": cancellation.pk, "reason": str(CancellationReason(cancellation.reason).label)},
    )
    return cancellation


def cancellation_request(
    *,
    order_id: int,
    user: User,
    reason: str = CancellationReason.OTHER,
    notes: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> CancellationOutcome:
    """A customer's cancellation of their own order: immediate while nothing has shipped (the
    outcome's cancellation is completed), otherwise a request staff decide (it is requested).

    Raises NotFoundError (not their order), OrderNotCancellableError (delivered, already
    cancelled, not paid), CancellationPendingError (a request is already waiting).
    """
    with transaction.atomic():
        order = _customer_order_for_update(order_id=order_id, user=user, as_staff=False)
        if not order_has_shipment(order):
            cancellation = _cancel_now(
                order,
                user=user,
                as_staff=False,
                reason=reason,
                notes=notes,
                ip_address=ip_address,
                user_agent=user_agent,
            )
            return CancellationOutcome(cancellation=cancellation, order=order)
        if order.status_id not in CANCELLABLE_AFTER_SHIPMENT:
            raise OrderNotCancellableError(extra={"status": order.status_id})
        if (live := _live_cancellation(order)) is not None:
            raise CancellationPendingError(extra={"cancellation_id": live.pk})
        cancellation = _request(
            order, user=user, reason=reason, notes=notes, ip_address=ip_address, user_agent=user_agent
        )
    return CancellationOutcome(cancellation=cancellation, order=order)


def _locked(cancellation_id: int) -> tuple[OrderCancellation, Order]:
    """The cancellation and its order, locked order first (the shop's lock order)."""
    order_id = OrderCancellation.objects.filter(pk=cancellation_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFoundError(_("No such cancellation."))
    order = Order.objects.select_for_update().get(pk=order_id)
    cancellation = OrderCancellation.objects.select_for_update().get(pk=cancellation_id)
    return cancellation, order


def _approve(
    cancellation: OrderCancellation,
    order: Order,
    *,
    actor: User,
    fee: Decimal,
    note: str,
    ip_address: str | None,
    user_agent: str,
) -> None:
    previous = _step(cancellation, CancellationStatus.APPROVED)
    now = timezone.now()
    cancellation.approved_at = now
    cancellation.decided_by = actor
    cancellation.decision_note = note.strip()
    cancellation.fee = fee
    words = note.strip() or "Cancellation approved"
    if order.status_id not in CANCELLABLE_AFTER_SHIPMENT | CANCELLABLE_BY_CUSTOMER:
        raise InvalidTransitionError(
            _("An order that is %(current)s cannot be cancelled.")
            % {"current": OrderState(str(order.status_id)).label},
            extra={"from": order.status_id, "to": OrderState.CANCELLED},
        )
    cancellation.refund_amount = _undo_sale(
        order,
        actor=actor,
        reason=words,
        fee=fee,
        reference=f"cancellation:{cancellation.pk}",
        actor_role=ActorRole.STAFF,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    _step(cancellation, CancellationStatus.COMPLETED)
    cancellation.completed_at = now
    cancellation.save()
    _history(
        order,
        cancellation,
        previous,
        actor=actor,
        actor_role=ActorRole.STAFF,
        reason=words,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    order_notification_queue(
        order=order,
        kind=NotificationKind.CANCELLATION_APPROVED,
        event_key=f"cancellation:{cancellation.pk}",
        context={
            "cancellation_id": cancellation.pk,
            "refund_amount": str(cancellation.refund_amount),
            "fee": str(cancellation.fee),
            "note": cancellation.decision_note,
        },
    )


def cancellation_approve(
    *,
    cancellation_id: int,
    actor: User,
    fee: Decimal | str = ZERO,
    note: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderCancellation:
    """Staff approve a requested cancellation: the order is cancelled, what is left of its
    payments minus `fee` goes back to the wallet (through the refund cap), and the cancellation
    is completed, in one transaction.

    Raises NotFoundError, InvalidTransitionError (not requested; the order is delivered),
    CancellationFeeError (fee below zero or above what is left to refund).
    """
    fee = money(fee)
    with transaction.atomic():
        cancellation, order = _locked(cancellation_id)
        _approve(cancellation, order, actor=actor, fee=fee, note=note, ip_address=ip_address, user_agent=user_agent)
    return cancellation


def cancellation_reject(
    *, cancellation_id: int, actor: User, reason: str, ip_address: str | None = None, user_agent: str = ""
) -> OrderCancellation:
    """Staff refuse a requested cancellation, saying why (the customer reads it); the order is
    unchanged. Raises NotFoundError, DecisionReasonRequiredError, InvalidTransitionError."""
    reason = reason.strip()
    if not reason:
        raise DecisionReasonRequiredError()
    with transaction.atomic():
        cancellation, order = _locked(cancellation_id)
        previous = _step(cancellation, CancellationStatus.REJECTED)
        cancellation.rejected_at = timezone.now()
        cancellation.decided_by = actor
        cancellation.decision_note = reason
        cancellation.save(update_fields=["status", "rejected_at", "decided_by", "decision_note", "updated_at"])
        _history(
            order,
            cancellation,
            previous,
            actor=actor,
            actor_role=ActorRole.STAFF,
            reason=reason,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        order_notification_queue(
            order=order,
            kind=NotificationKind.CANCELLATION_REJECTED,
            event_key=f"cancellation:{cancellation.pk}",
            context={"cancellation_id": cancellation.pk, "reason": reason},
        )
    return cancellation


__all__ = [
    "CancellationOutcome",
    "cancellation_approve",
    "cancellation_reject",
    "cancellation_request",
    "order_cancel",
]
