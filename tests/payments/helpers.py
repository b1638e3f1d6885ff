import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from orders.models import Order
from payments.models import Payment, Wallet, WalletEntry
from payments.services import payment_record_wallet_capture, wallet_debit


def ledger_sum(user) -> Decimal:
    """Charges and refunds minus uses: what the balance must be."""
    return sum((entry.signed_amount for entry in WalletEntry.objects.filter(wallet__user=user)), Decimal("0.00"))


def balance_of(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


def order_for(user, total: str = "50.00") -> Order:
    """A bare paid-looking order to hang payments on (checkout itself is tested in tests/orders)."""
    amount = Decimal(total)
    return Order.objects.create(customer=user, subtotal=amount, total_amount=amount)


def paid_from_wallet(user, order_id: int, amount: str) -> Payment:
    """A captured payment of `amount` from the user's wallet, as checkout records it."""
    with transaction.atomic():
        payment = payment_record_wallet_capture(user=user, order_id=order_id, amount=Decimal(amount), currency="USD")
        wallet_debit(user=user, amount=Decimal(amount), order_id=order_id, reference="order")
    return payment


def run_concurrently(calls: list[Callable[[], Any]], *, workers: int) -> list[tuple[str, Any]]:
    """Run `calls` on `workers` real threads that start together; ("ok", result) or ("error", exc) each.

    Each worker thread holds its own database connection (opened before the start line, so the
    race is about the work, not the connecting) and closes it when done.
    """
    workers = min(workers, len(calls))
    barrier = threading.Barrier(workers)
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def worker(indexes: list[int]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            for index in indexes:
                try:
                    results[index] = ("ok", calls[index]())
                except Exception as exc:  # noqa: BLE001 - every outcome is asserted by the test
                    results[index] = ("error", exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(worker, list(range(start, len(calls), workers))) for start in range(workers)]
        for future in futures:
            future.result(timeout=120)
    return results
