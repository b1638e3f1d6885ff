"""Checkout, cancellation, status changes, the order e-mails and the sales rollup.

Lock order, the same in every service that takes more than one lock, so no two can deadlock:
cart row (checkout from the cart) -> order row -> issued coupon -> inventory rows (by primary
key) -> wallet -> order-number counter (checkout's order row is its own new row, which nobody
else can wait for). No call to anything outside the database happens while these locks are
held; notifications are written as pending rows and sent after commit.

One module per concern; callers import from here (`from orders import services`):

- `checkout`: placing an order, from lines or from the cart;
- `lifecycle`: status changes and cancellation;
- `notifications`: the order e-mails, queued in the shop's one outbox (`common.outbox`);
- `sales`: the daily sales rollup;
- `fulfilment`: shipments (a seller ships lines with a carrier and tracking number), their
  progress and delivery, overdue shipments; the order's status follows them;
- `snapshots`: the order as it was, at confirmation and at every status change.
"""

from .checkout import OrderLine, PlacedOrder, normalize_lines, order_place, order_place_from_cart
from .fulfilment import shipment_create, shipment_delivery_record, shipment_progress_record, shipments_mark_overdue
from .lifecycle import order_cancel, order_transition
from .sales import sales_rollup, sales_rollup_day, sales_rollup_finished_day

__all__ = [
    "OrderLine",
    "PlacedOrder",
    "normalize_lines",
    "order_cancel",
    "order_place",
    "order_place_from_cart",
    "order_transition",
    "sales_rollup",
    "sales_rollup_day",
    "sales_rollup_finished_day",
    "shipment_create",
    "shipment_delivery_record",
    "shipment_progress_record",
    "shipments_mark_overdue",
]
