"""Fulfilment: sellers ship their lines with a carrier and a tracking number, staff (or the
system) record how each parcel travels and when it arrives, and the order's status follows.

One order, many shipments: each seller ships their own lines of an order, in one parcel or
several; a line ships once (`OrderTrackingItem.order_item` is unique).

How the order's status follows its shipments (the changes go through `order_transition`, the
one place a status changes, so each is in the history and snapshotted):

- the first shipment of a *paid* order moves it to PROCESSING (some of it is on its way);
- once every line of the order has shipped, it moves on to SHIPPED (a single shipment that
  covers the whole order does both steps at once: paid -> processing -> shipped);
- once the order is SHIPPED and every one of its shipments is delivered, it becomes DELIVERED.

Lock order: the order row first (as every order service: see the package docstring), then the
shipment row. Two sellers shipping lines of one order at once queue on the order row, so the
"every line shipped?" count is never taken on a stale picture.
"""

import datetime as dt
from typing import TypedDict

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Seller, User
from common.exceptions import InvalidTransitionError, NotFoundError
from common.http import USER_AGENT_MAX_LENGTH

from ..exceptions import (
    AlreadyShippedError,
    CarrierUnavailableError,
    OrderNotShippableError,
    ShipmentInputError,
    ShipmentItemsError,
    TrackingNumberTakenError,
)
from ..models import (
    SHIPMENT_TRANSITIONS,
    ActorRole,
    NotificationKind,
    Order,
    OrderHistory,
    OrderItem,
    OrderState,
    OrderTracking,
    OrderTrackingItem,
    ShipmentStatus,
    ShippingCarrier,
)
from .lifecycle import order_transition
from .notifications import order_notification_queue


class _Who(TypedDict):
    """Who made a change, as the history records it (and `order_transition` takes it)."""

    actor: User | None
    actor_role: str
    ip_address: str | None
    user_agent: str


# The statuses in which a seller may ship lines of an order.
SHIPPABLE_STATES = frozenset({OrderState.PAID, OrderState.PROCESSING})
TRACKING_NUMBER_MAX_LENGTH = 64


def _history(
    *,
    order: Order,
    change_type: str,
    new_value: str,
    reason: str,
    actor: User | None,
    actor_role: str,
    ip_address: str | None,
    user_agent: str,
    previous_value: str = "",
) -> None:
    OrderHistory.objects.create(
        order=order,
        actor=actor,
        actor_role=actor_role,
        change_type=change_type,
        field_name="shipment",
        previous_value=previous_value[:255],
        new_value=new_value[:255],
        reason=reason[:255],
        ip_address=ip_address,
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
    )


def _seller_order_for_update(*, seller: Seller, order_id: int) -> Order:
    """The order, locked, if it has lines of this seller; any other order does not exist for them."""
    has_my_lines = Exists(OrderItem.objects.filter(order=OuterRef("pk"), seller=seller))
    order = Order.objects.select_for_update().filter(has_my_lines, pk=order_id).first()
    if order is None:
        raise NotFoundError(_("No such order."))
    return order


def shipment_create(
    *,
    seller: Seller,
    order_id: int,
    carrier_id: int,
    tracking_number: str,
    actor: User,
    item_ids: list[int] | None = None,
    estimated_delivery_at: dt.datetime | None = None,
    delivery_instructions: str = "",
    actor_role: str = ActorRole.SELLER,
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderTracking:
    """The seller ships lines of an order (all their unshipped lines when `item_ids` is None).

    Raises NotFoundError (no lines of this seller in that order), CarrierUnavailableError,
    OrderNotShippableError (not paid, or cancelled, shipped or refunded), ShipmentItemsError (an
    id that is not this seller's line of this order), AlreadyShippedError,
    TrackingNumberTakenError (the carrier has that number already), ShipmentInputError.
    Queues the SHIPPED e-mail (with the tracking link) and moves the order along (see above).
    """
    tracking_number = tracking_number.strip()
    if not tracking_number or len(tracking_number) > TRACKING_NUMBER_MAX_LENGTH:
        raise ShipmentInputError(
            _("Enter the tracking number (up to %(max)d characters).") % {"max": TRACKING_NUMBER_MAX_LENGTH}
        )
    with transaction.atomic():
        order = _seller_order_for_update(seller=seller, order_id=order_id)
        carrier = ShippingCarrier.objects.filter(pk=carrier_id, is_active=True).first()
        if carrier is None:
            raise CarrierUnavailableError()
        if order.status_id not in SHIPPABLE_STATES:
            raise OrderNotShippableError(extra={"status": order.status_id})
        shipped = Exists(OrderTrackingItem.objects.filter(order_item=OuterRef("pk")))
        my_lines = {item.pk: item for item in order.items.filter(seller=seller).annotate(shipped=shipped)}
        if item_ids is None:
            chosen = [item for item in my_lines.values() if not item.shipped]
            if not chosen:
                raise AlreadyShippedError(_("All your lines of this order have already shipped."))
        else:
            wanted = sorted(set(item_ids))
            not_mine = [pk for pk in wanted if pk not in my_lines]
            if not wanted or not_mine:
                raise ShipmentItemsError(extra={"item_ids": not_mine})
            already = [pk for pk in wanted if my_lines[pk].shipped]
            if already:
                raise AlreadyShippedError(extra={"item_ids": already})
            chosen = [my_lines[pk] for pk in wanted]
        if OrderTracking.objects.filter(carrier=carrier, tracking_number=tracking_number).exists():
            raise TrackingNumberTakenError(extra={"carrier": carrier.code})
        now = timezone.now()
        try:
            # A savepoint: another order's shipment may take the same number between the check
            # above and this insert; the unique constraint then decides, with the same answer.
            with transaction.atomic():
                tracking = OrderTracking.objects.create(
                    order=order,
                    seller=seller,
                    carrier=carrier,
                    tracking_number=tracking_number,
                    tracking_url=carrier.tracking_url_for(tracking_number),
                    shipped_at=now,
                    estimated_delivery_at=estimated_delivery_at,
                    delivery_instructions=delivery_instructions.strip()[:500],
                    last_status_update=str(ShipmentStatus.SHIPPED.label),
                )
        except IntegrityError:
            raise TrackingNumberTakenError(extra={"carrier": carrier.code}) from None
        OrderTrackingItem.objects.bulk_create(
            [OrderTrackingItem(tracking=tracking, order_item=item) for item in chosen]
        )
        meta: _Who = {"actor": actor, "actor_role": actor_role, "ip_address": ip_address, "user_agent": user_agent}
        _history(
            order=order,
            change_type="shipment_created",
            new_value=f"{carrier.name} {tracking_number}",
            reason=_("%(seller)s shipped %(count)d line(s)") % {"seller": seller.business_name, "count": len(chosen)},
            **meta,
        )
        order_notification_queue(
            order=order,
            kind=NotificationKind.SHIPPED,
            event_key=f"shipment:{tracking.pk}",
            context={"tracking_id": tracking.pk},
        )
        if order.status_id == OrderState.PAID:
            order = order_transition(
                order_id=order.pk, to=OrderState.PROCESSING, reason=_("First shipment sent"), **meta
            )
        if not order.items.filter(shipment_line__isnull=True).exists():
            order_transition(order_id=order.pk, to=OrderState.SHIPPED, reason=_("Every line has shipped"), **meta)
    return tracking


def _shipment_for_update(shipment_id: int) -> tuple[Order, OrderTracking]:
    """The shipment and its order, both locked, the order first (the lock order above)."""
    order_id = OrderTracking.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFoundError(_("No such shipment."))
    order = Order.objects.select_for_update().get(pk=order_id)
    shipment = OrderTracking.objects.select_for_update().select_related("carrier").get(pk=shipment_id)
    return order, shipment


def _shipment_check(shipment: OrderTracking, to: ShipmentStatus) -> None:
    current = ShipmentStatus(shipment.status)
    if to not in SHIPMENT_TRANSITIONS[current]:
        raise InvalidTransitionError(
            _("A shipment that is %(current)s cannot become %(to)s.") % {"current": current.label, "to": to.label},
            extra={"from": current.value, "to": to.value},
        )


def shipment_progress_record(
    *,
    shipment_id: int,
    status: ShipmentStatus,
    actor: User | None,
    location: str = "",
    note: str = "",
    actor_role: str = ActorRole.STAFF,
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderTracking:
    """The carrier reports the parcel in transit, or a failed delivery attempt (counted).

    Delivery has its own service (`shipment_delivery_record`). Raises NotFoundError,
    InvalidTransitionError (a delivered parcel travels no more).
    """
    if status not in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.FAILED_ATTEMPT):
        raise ShipmentInputError(_("Record a delivery with the delivery form."))
    with transaction.atomic():
        order, shipment = _shipment_for_update(shipment_id)
        _shipment_check(shipment, status)
        previous = shipment.status
        shipment.status = status
        shipment.last_status_update = (note.strip() or str(status.label))[:255]
        if location.strip():
            shipment.last_location = location.strip()[:255]
        fields = ["status", "last_status_update", "last_location", "updated_at"]
        if status == ShipmentStatus.FAILED_ATTEMPT:
            shipment.delivery_attempts += 1
            fields.append("delivery_attempts")
        shipment.save(update_fields=fields)
        _history(
            order=order,
            change_type="shipment_status",
            previous_value=previous,
            new_value=f"{shipment.tracking_number}: {status.value}",
            reason=shipment.last_status_update,
            actor=actor,
            actor_role=actor_role,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return shipment


def shipment_delivery_record(
    *,
    shipment_id: int,
    actor: User | None,
    delivered_at: dt.datetime | None = None,
    signature: str = "",
    location: str = "",
    actor_role: str = ActorRole.STAFF,
    ip_address: str | None = None,
    user_agent: str = "",
) -> OrderTracking:
    """Staff (or the system, from a carrier's report) record that a parcel arrived.

    `delivered_at` defaults to now; it may be earlier (recorded late) but not before the parcel
    shipped, nor in the future. Queues the DELIVERED e-mail; the order becomes DELIVERED once it
    has SHIPPED and all of its shipments have arrived. Raises NotFoundError,
    InvalidTransitionError (already delivered), ShipmentInputError (a time out of range).
    """
    now = timezone.now()
    delivered_at = delivered_at or now
    with transaction.atomic():
        order, shipment = _shipment_for_update(shipment_id)
        _shipment_check(shipment, ShipmentStatus.DELIVERED)
        if delivered_at > now or delivered_at < shipment.shipped_at:
            raise ShipmentInputError(
                _("The delivery time must be between the shipping time and now."),
                extra={"shipped_at": shipment.shipped_at.isoformat()},
            )
        previous = shipment.status
        shipment.status = ShipmentStatus.DELIVERED
        shipment.delivered_at = delivered_at
        shipment.delivery_signature = signature.strip()[:120]
        shipment.delivery_attempts += 1
        shipment.last_status_update = str(ShipmentStatus.DELIVERED.label)
        if location.strip():
            shipment.last_location = location.strip()[:255]
        shipment.save(
            update_fields=[
                "status",
                "delivered_at",
                "delivery_signature",
                "delivery_attempts",
                "last_status_update",
                "last_location",
                "updated_at",
            ]
        )
        meta: _Who = {"actor": actor, "actor_role": actor_role, "ip_address": ip_address, "user_agent": user_agent}
        _history(
            order=order,
            change_type="shipment_delivered",
            previous_value=previous,
            new_value=f"{shipment.tracking_number}: {ShipmentStatus.DELIVERED.value}",
            reason=_("Signed for by %(name)s") % {"name": shipment.delivery_signature}
            if shipment.delivery_signature
            else "",
            **meta,
        )
        order_notification_queue(
            order=order,
            kind=NotificationKind.DELIVERED,
            event_key=f"shipment:{shipment.pk}",
            context={"tracking_id": shipment.pk},
        )
        still_travelling = OrderTracking.objects.filter(order=order).exclude(status=ShipmentStatus.DELIVERED)
        if order.status_id == OrderState.SHIPPED and not still_travelling.exists():
            order_transition(order_id=order.pk, to=OrderState.DELIVERED, reason=_("Every shipment has arrived"), **meta)
    return shipment


def shipments_mark_overdue(*, now: dt.datetime | None = None) -> int:
    """Flag shipments past their estimated delivery and not delivered; how many were flagged.

    Idempotent: a shipment is flagged once (its history row too). Rows another transaction holds
    (a delivery being recorded) are skipped and left for the next run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            OrderTracking.objects.select_for_update(skip_locked=True)
            .filter(is_overdue=False, delivered_at__isnull=True, estimated_delivery_at__lt=now)
            .order_by("pk")
            .values_list("pk", "order_id", "tracking_number", "estimated_delivery_at")
        )
        if not due:
            return 0
        OrderTracking.objects.filter(pk__in=[pk for pk, *_rest in due]).update(
            is_overdue=True, overdue_since=now, updated_at=now
        )
        OrderHistory.objects.bulk_create(
            [
                OrderHistory(
                    order_id=order_id,
                    actor=None,
                    actor_role=ActorRole.SYSTEM,
                    change_type="shipment_overdue",
                    field_name="shipment",
                    new_value=f"{number}: overdue",
                    reason=f"Not delivered by its estimated delivery ({estimated:%Y-%m-%d %H:%M} UTC)",
                )
                for _pk, order_id, number, estimated in due
            ]
        )
    return len(due)
