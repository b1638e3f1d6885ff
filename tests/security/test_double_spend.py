"""Row 8: double spend through the API under concurrency (OWASP WSTG-BUSL-10, API6).

A single-use coupon in 20 parallel orders is used once; 50 concurrent orders on one wallet take
exactly floor(balance / price) of them and leave balance = ledger; stock N with 3N orders sells
exactly N; baskets listing the same two items in opposite orders never deadlock.
"""

import uuid
from decimal import Decimal

import pytest

from inventory.models import InventoryItem
from inventory.services import stock_restock
from orders.models import Order
from payments.models import Wallet
from payments.services import wallet_charge
from promotions.services import coupon_claim
from scorecard.invariants import all_violations
from tests.factories.accounts import SellerFactory
from tests.factories.commerce import CategoryFactory, CouponFactory, VariantFactory

from .http import bearer, deadlocks, fire, many_customers, server_errors, statuses

pytestmark = [pytest.mark.scorecard(row=8), pytest.mark.django_db(transaction=True)]


def variant(price: str, stock: int):
    item = VariantFactory(
        product__seller=SellerFactory(), product__category=CategoryFactory(), price=Decimal(price), stock=False
    )
    stock_restock(variant_id=item.pk, quantity=stock)
    return item


def order_call(url: str, headers: dict[str, str], lines: list[tuple[int, int]], coupon_id: int | None = None):
    body: dict = {"items": [{"variant_id": v, "quantity": q} for v, q in lines]}
    if coupon_id is not None:
        body["coupon_id"] = coupon_id
    return lambda session: session.post(
        url, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, timeout=120
    )


def test_one_single_use_coupon_in_twenty_parallel_orders(shop_server, scorecard_row):
    item = variant("20.00", 1000)
    (customer,) = many_customers(1, "coupon-spender")
    wallet_charge(user=customer, amount="1000.00")
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("5.00")).pk, user=customer)
    url = f"{shop_server.url}/api/v1/orders/"
    answers = fire([order_call(url, bearer(customer), [(item.pk, 1)], issued.pk) for _ in range(20)], concurrency=20)
    with_coupon = Order.objects.filter(issued_coupon=issued).count()
    discounted = Order.objects.filter(customer=customer, discount_amount__gt=0).count()
    refused = sum(1 for a in answers if a.code == "coupon_not_usable")
    issued.refresh_from_db()
    ok = with_coupon == 1 and discounted == 1 and not server_errors(answers) and issued.used_at is not None
    passed = scorecard_row(
        "one single-use coupon in 20 parallel orders",
        f"used {with_coupon} time(s), {discounted} discounted orders, {refused} refused coupon_not_usable, "
        f"{len(server_errors(answers))} 5xx ({statuses(answers)})",
        ok and not all_violations(),
    )
    assert passed


def test_fifty_concurrent_debits_on_one_wallet(shop_server, scorecard_row):
    price, balance = Decimal("7.00"), Decimal("100.00")
    item = variant(str(price), 1000)
    (customer,) = many_customers(1, "wallet-spender")
    wallet_charge(user=customer, amount=str(balance))
    url = f"{shop_server.url}/api/v1/orders/"
    answers = fire([order_call(url, bearer(customer), [(item.pk, 1)]) for _ in range(50)], concurrency=50)
    expected = int(balance // price)
    placed = sum(1 for a in answers if a.status == 201)
    short = sum(1 for a in answers if a.status == 402 and a.code == "insufficient_balance")
    wallet = Wallet.objects.get(user=customer)
    ledger = sum((e.signed_amount for e in wallet.entries.all()), Decimal("0.00"))
    ok = (
        placed == expected
        and Order.objects.filter(customer=customer).count() == expected
        and wallet.balance == balance - expected * price == ledger
        and short == 50 - expected
        and not server_errors(answers)
    )
    passed = scorecard_row(
        "50 concurrent debits on one wallet",
        f"{placed} succeeded (floor({balance}/{price}) = {expected}), {short} insufficient_balance, "
        f"balance {wallet.balance}, ledger {ledger}, {len(server_errors(answers))} 5xx",
        ok and not all_violations(),
    )
    assert passed


def test_stock_n_with_three_n_orders_sells_exactly_n(shop_server, scorecard_row):
    n = 10
    item = variant("3.00", n)
    customers = many_customers(3 * n, "stock-racer")
    for customer in customers:
        wallet_charge(user=customer, amount="50.00")
    url = f"{shop_server.url}/api/v1/orders/"
    answers = fire([order_call(url, bearer(c), [(item.pk, 1)]) for c in customers], concurrency=3 * n)
    placed = sum(1 for a in answers if a.status == 201)
    out = sum(1 for a in answers if a.status == 409 and a.code == "insufficient_stock")
    left = InventoryItem.objects.get(variant=item).quantity
    sold = Order.objects.filter(items__variant=item).count()
    problems = all_violations()
    passed = scorecard_row(
        f"stock {n} with {3 * n} concurrent orders",
        f"{sold} sold, {left} left, {out} insufficient_stock, {len(server_errors(answers))} 5xx, "
        f"{len(problems)} invariant violations",
        placed == sold == n and left == 0 and out == 2 * n and not server_errors(answers) and not problems,
    )
    assert passed, problems[:3]


def test_opposite_order_baskets_never_deadlock(shop_server, scorecard_row):
    first, second = variant("2.00", 10_000), variant("3.00", 10_000)
    customers = many_customers(40, "basket")
    for customer in customers:
        wallet_charge(user=customer, amount="500.00")
    url = f"{shop_server.url}/api/v1/orders/"
    before = deadlocks()
    calls = []
    for n, customer in enumerate(customers):
        lines = [(first.pk, 1), (second.pk, 2)] if n % 2 else [(second.pk, 2), (first.pk, 1)]
        calls += [order_call(url, bearer(customer), lines) for _ in range(2)]
    answers = fire(calls, concurrency=40)
    found = deadlocks() - before
    placed = sum(1 for a in answers if a.status == 201)
    passed = scorecard_row(
        "opposite-order baskets (80 orders, 40 at a time)",
        f"{found} deadlocks, {placed} of 80 placed, {len(server_errors(answers))} 5xx",
        found == 0 and placed == 80 and not server_errors(answers) and not all_violations(),
    )
    assert passed, statuses(answers)
