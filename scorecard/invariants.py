"""The shop's money and stock invariants, checked from the database alone.

Used after a hypothesis state machine step (row 6), after races (rows 7-9) and after a PostgreSQL
restart under load (row 12). Each function returns a list of violations, each a sentence.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from common.money import ZERO


def wallet_violations() -> list[str]:
    """balance = sum of the ledger >= 0, and each entry's balance_after follows the previous one."""
    from payments.models import EntryType, Wallet, WalletEntry

    problems = []
    sign = {EntryType.CHARGE: 1, EntryType.REFUND: 1, EntryType.USE: -1}
    running: dict[int, Decimal] = defaultdict(lambda: ZERO)
    entries = WalletEntry.objects.order_by("wallet_id", "id")
    for entry in entries.values("wallet_id", "entry_type", "amount", "balance_after"):
        running[entry["wallet_id"]] += sign[EntryType(entry["entry_type"])] * entry["amount"]
        if running[entry["wallet_id"]] != entry["balance_after"]:
            problems.append(
                f"wallet {entry['wallet_id']}: entry balance_after {entry['balance_after']} "
                f"!= running ledger sum {running[entry['wallet_id']]}"
            )
    for wallet in Wallet.objects.values("id", "balance"):
        ledger = running[wallet["id"]]
        if wallet["balance"] != ledger:
            problems.append(f"wallet {wallet['id']}: balance {wallet['balance']} != ledger sum {ledger}")
        if wallet["balance"] < 0:
            problems.append(f"wallet {wallet['id']}: negative balance {wallet['balance']}")
    return problems


def stock_violations() -> list[str]:
    """Each stock row's history is an unbroken chain ending at its quantity, and units sold per
    variant (lines of orders that still count) = units the sale movements took, net of returns."""
    from inventory.models import ChangeType, InventoryHistory, InventoryItem
    from orders.models import SOLD_STATES, OrderItem, OrderState

    problems = []
    last_after: dict[int, int] = {}
    for move in InventoryHistory.objects.order_by("inventory_item_id", "id").values(
        "id", "inventory_item_id", "quantity_before", "quantity_after"
    ):
        item = move["inventory_item_id"]
        if item in last_after and last_after[item] != move["quantity_before"]:
            problems.append(
                f"stock row {item}: movement {move['id']} starts at {move['quantity_before']}, "
                f"the previous one ended at {last_after[item]}"
            )
        last_after[item] = move["quantity_after"]
    for item in InventoryItem.objects.values("id", "quantity", "reserved_quantity"):
        if item["quantity"] < 0 or item["reserved_quantity"] < 0:
            problems.append(f"stock row {item['id']}: negative quantity {item['quantity']}")
        if item["id"] in last_after and last_after[item["id"]] != item["quantity"]:
            problems.append(
                f"stock row {item['id']}: quantity {item['quantity']} but its history ends at {last_after[item['id']]}"
            )
    moved = defaultdict(int)
    for row in (
        InventoryHistory.objects.filter(change_type__in=[ChangeType.SALE, ChangeType.CANCELLATION])
        .values("inventory_item__variant_id")
        .annotate(net=Sum("quantity_delta"))
    ):
        moved[row["inventory_item__variant_id"]] = -row["net"]
    sold = defaultdict(int)
    # A refunded order's goods left through its sale movements too; they come back (or not, if
    # damaged) as return movements, which are not counted above.
    left_stock = [str(s) for s in SOLD_STATES | {OrderState.REFUNDED}]
    for row in (
        OrderItem.objects.filter(order__status__in=left_stock).values("variant_id").annotate(units=Sum("quantity"))
    ):
        sold[row["variant_id"]] = row["units"]
    for variant in set(moved) | set(sold):
        if moved[variant] != sold[variant]:
            problems.append(
                f"variant {variant}: {sold[variant]} units on orders that count, stock movements took {moved[variant]}"
            )
    return problems


def coupon_violations() -> list[str]:
    """Issued = initial - left <= initial; an issued coupon pays for at most one live order."""
    from orders.models import Order, OrderState
    from promotions.models import Coupon

    problems = []
    for coupon in Coupon.all_objects.annotate(issued_count_db=Count("issued")).values(
        "id", "initial_quantity", "quantity", "issued_count_db"
    ):
        if coupon["issued_count_db"] != coupon["initial_quantity"] - coupon["quantity"]:
            problems.append(
                f"coupon {coupon['id']}: {coupon['issued_count_db']} issued but "
                f"{coupon['initial_quantity']} - {coupon['quantity']} counted"
            )
        if coupon["issued_count_db"] > coupon["initial_quantity"]:
            problems.append(f"coupon {coupon['id']}: {coupon['issued_count_db']} issued over its limit")
    live = (
        Order.objects.exclude(status__in=[OrderState.CANCELLED, OrderState.PENDING])
        .filter(issued_coupon__isnull=False)
        .values("issued_coupon_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [f"issued coupon {row['issued_coupon_id']}: used by {row['n']} orders" for row in live]
    return problems


def payment_violations() -> list[str]:
    """Refunds never exceed what was captured; a paid order's capture = its total; a cancelled
    order is refunded in full."""
    from orders.models import Order, OrderState
    from payments.models import Payment, PaymentStatus, Refund, RefundStatus

    problems = []
    # A refund the card's processor refused gave its amount back to the payment: it counts no more.
    counted = Refund.objects.exclude(status=RefundStatus.FAILED)
    refunds = {r["payment_id"]: r["total"] for r in counted.values("payment_id").annotate(total=Sum("amount"))}
    for payment in Payment.objects.values("id", "order_id", "amount", "refunded_amount", "status"):
        refunded = refunds.get(payment["id"], ZERO)
        if refunded != payment["refunded_amount"]:
            problems.append(f"payment {payment['id']}: refunds add up to {refunded}, not {payment['refunded_amount']}")
        if refunded > payment["amount"]:
            problems.append(f"payment {payment['id']}: refunded {refunded} of {payment['amount']} captured")
    captured = defaultdict(lambda: ZERO)
    refunded_by_order = defaultdict(lambda: ZERO)
    for payment in Payment.objects.exclude(status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]).values(
        "order_id", "amount", "refunded_amount"
    ):
        captured[payment["order_id"]] += payment["amount"]
        refunded_by_order[payment["order_id"]] += payment["refunded_amount"]
    for order in Order.objects.exclude(status=OrderState.PENDING).values("id", "status", "total_amount"):
        if captured[order["id"]] != order["total_amount"]:
            problems.append(f"order {order['id']}: total {order['total_amount']}, captured {captured[order['id']]}")
        if order["status"] == OrderState.CANCELLED and refunded_by_order[order["id"]] != order["total_amount"]:
            problems.append(
                f"order {order['id']}: cancelled, refunded {refunded_by_order[order['id']]} of {order['total_amount']}"
            )
    return problems


def order_total_violations() -> list[str]:
    """Totals recomputed from the lines: line = unit price x quantity; subtotal = sum of lines;
    total = subtotal - discount + shipping + tax; discount within the subtotal."""
    from orders.models import Order, OrderItem, OrderState

    problems = []
    lines = {
        row["order_id"]: row["total"] for row in OrderItem.objects.values("order_id").annotate(total=Sum("total_price"))
    }
    for item in OrderItem.objects.values("id", "order_id", "unit_price", "quantity", "total_price"):
        if item["unit_price"] * item["quantity"] != item["total_price"]:
            problems.append(f"line {item['id']}: {item['unit_price']} x {item['quantity']} != {item['total_price']}")
        if item["quantity"] <= 0 or item["unit_price"] < 0:
            problems.append(f"order line {item['id']}: quantity {item['quantity']}, unit price {item['unit_price']}")
    for order in Order.objects.exclude(status=OrderState.PENDING).values(
        "id", "subtotal", "discount_amount", "shipping_cost", "tax_amount", "total_amount"
    ):
        expected_subtotal = lines.get(order["id"], ZERO)
        if order["subtotal"] != expected_subtotal:
            problems.append(f"order {order['id']}: subtotal {order['subtotal']}, lines add up to {expected_subtotal}")
        total = order["subtotal"] - order["discount_amount"] + order["shipping_cost"] + order["tax_amount"]
        if order["total_amount"] != total or order["discount_amount"] > order["subtotal"]:
            problems.append(f"order {order['id']}: total {order['total_amount']} != {total}")
    return problems


def cart_violations() -> list[str]:
    """A cart's total = the sum of its live lines; at most one active cart per customer."""
    from carts.models import Cart, CartItem, CartStatus

    problems = []
    lines = {
        row["cart_id"]: row["total"] for row in CartItem.objects.values("cart_id").annotate(total=Sum("total_price"))
    }
    for cart in Cart.all_objects.values("id", "total_amount"):
        if cart["total_amount"] != lines.get(cart["id"], ZERO):
            problems.append(f"cart {cart['id']}: total {cart['total_amount']}, lines add up to {lines.get(cart['id'])}")
    doubled = (
        Cart.objects.filter(status=CartStatus.ACTIVE).values("customer_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    problems.extend(f"customer {row['customer_id']}: {row['n']} active carts" for row in doubled)
    return problems


def all_violations() -> list[str]:
    return (
        wallet_violations()
        + stock_violations()
        + coupon_violations()
        + payment_violations()
        + order_total_violations()
        + cart_violations()
    )


def pending_orders() -> int:
    """Orders left half-made (no order would stay pending: checkout is one transaction)."""
    from orders.models import Order, OrderState

    return Order.objects.filter(Q(status=OrderState.PENDING)).count()
