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
- `returns`: returns (RMA), from the customer's request to the refund.
"""

from .checkout import OrderLine, PlacedOrder, normalize_lines, order_place, order_place_from_cart
from .lifecycle import order_cancel, order_transition
from .returns import (
    ReturnLine,
    return_approve,
    return_inspect,
    return_receive,
    return_refund,
    return_reject,
    return_request,
)
from .sales import sales_rollup, sales_rollup_day, sales_rollup_finished_day

__all__ = [
    "OrderLine",
    "PlacedOrder",
    "ReturnLine",
    "normalize_lines",
    "order_cancel",
    "order_place",
    "order_place_from_cart",
    "order_transition",
    "return_approve",
    "return_inspect",
    "return_receive",
    "return_refund",
    "return_reject",
    "return_request",
    "sales_rollup",
    "sales_rollup_day",
    "sales_rollup_finished_day",
]
