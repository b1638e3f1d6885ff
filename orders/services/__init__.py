"""Checkout, cancellation, status changes, the order e-mails and the sales rollup.

Lock order, the same in every service that takes more than one lock, so no two can deadlock:
cart row (checkout from the cart) -> order row -> cancellation or issue row -> issued coupon ->
inventory rows (by primary key) -> payments (by primary key: `payments.services.order_refund`)
-> wallet -> order-number counter (checkout's order row is its own new row, which nobody
else can wait for). No call to anything outside the database happens while these locks are
held; notifications are written as pending rows and sent after commit.

One module per concern; callers import from here (`from orders import services`):

- `checkout`: placing an order, from lines or from the cart;
- `quote`: what an order costs (subtotal, coupon, shipping, tax, total), shown and stored;
- `lifecycle`: status changes by staff;
- `cancellations`: cancelling now, or a request staff approve or reject once something shipped;
- `issues`: problems customers report, answered by sellers and resolved by staff;
- `notifications`: the order e-mails, queued in the shop's one outbox (`common.outbox`);
- `sales`: the daily sales rollup;
- `fulfilment`: shipments (a seller ships lines with a carrier and tracking number), their
  progress and delivery, overdue shipments; the order's status follows them;
- `snapshots`: the order as it was, at confirmation and at every status change;
- `returns`: returns (RMA), from the customer's request to the refund;
- `payment`: card orders: a payment's outcome pays the order (or refunds a late one), and orders
  whose payment did not come in time are released.
"""

from .cancellations import (
    CancellationOutcome,
    cancellation_approve,
    cancellation_reject,
    cancellation_request,
    order_cancel,
)
from .checkout import OrderLine, PlacedOrder, normalize_lines, order_place, order_place_from_cart
from .fulfilment import shipment_create, shipment_delivery_record, shipment_progress_record, shipments_mark_overdue
from .issues import issue_assign, issue_close, issue_rate, issue_report, issue_resolve, issue_seller_answer
from .lifecycle import order_transition
from .payment import (
    OrderPayment,
    order_pay,
    order_payment_captured,
    order_payment_failed,
    order_release_expired,
    orders_release_expired,
)
from .quote import (
    AddressRequiredError,
    Quote,
    ShippingAddressInvalidError,
    cart_quote,
    checkout_quote,
    shipping_address_of,
)
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
    "AddressRequiredError",
    "CancellationOutcome",
    "OrderLine",
    "OrderPayment",
    "PlacedOrder",
    "Quote",
    "ReturnLine",
    "ShippingAddressInvalidError",
    "cancellation_approve",
    "cancellation_reject",
    "cancellation_request",
    "cart_quote",
    "checkout_quote",
    "issue_assign",
    "issue_close",
    "issue_rate",
    "issue_report",
    "issue_resolve",
    "issue_seller_answer",
    "normalize_lines",
    "order_cancel",
    "order_pay",
    "order_payment_captured",
    "order_payment_failed",
    "order_place",
    "order_place_from_cart",
    "order_release_expired",
    "order_transition",
    "orders_release_expired",
    "return_approve",
    "return_inspect",
    "return_receive",
    "return_refund",
    "return_reject",
    "return_request",
    "sales_rollup",
    "sales_rollup_day",
    "sales_rollup_finished_day",
    "shipment_create",
    "shipment_delivery_record",
    "shipment_progress_record",
    "shipments_mark_overdue",
    "shipping_address_of",
]
