"""`manage.py bench_data` at a tiny scale: the counts asked for, and every ledger adds up.

The `bench` app is installed by `bench.settings` only, so under the test settings the command is
called as an instance; `test_the_bench_app_is_installed_by_the_bench_settings_only` checks both.
"""

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from bench.management.commands.bench_data import Command as BenchData
from catalog.models import Product, ProductVariant
from inventory.models import InventoryItem
from orders.models import Order, OrderItem, ProductDailySales, ProductSaleStat
from orders.selectors import popular_product_quantities
from payments.models import Wallet

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

TINY = {"products": 20, "customers": 5, "days": 3, "sellers": 2, "stock": 50}


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.fixture
def tiny(tmp_path):
    tokens = tmp_path / "tokens.json"
    call_command(BenchData(), **TINY, tokens_out=tokens, stdout=StringIO())
    return tokens


def test_counts(tiny):
    assert Product.objects.filter(category__parent__parent__slug="bench-data").count() == 20
    assert ProductVariant.objects.filter(sku__startswith="BENCH-").count() == 40
    assert InventoryItem.objects.filter(variant__sku__startswith="BENCH-", quantity=50).count() == 40
    assert Wallet.objects.filter(user__email__startswith="bench-customer-").count() == 5
    items = OrderItem.objects.filter(sku__startswith="BENCH-")
    # 20 lines per product asked for; a line repeated inside one order is merged, so a few less.
    assert 300 <= items.count() <= 400
    assert ProductSaleStat.objects.filter(order_item__in=items).count() == items.count()
    today = timezone.now().date()
    rolled = set(ProductDailySales.objects.values_list("date", flat=True))
    assert rolled == {today - dt.timedelta(days=1), today - dt.timedelta(days=2)}


def test_ledgers_add_up(tiny):
    assert Order.objects.exclude(paid_at__isnull=False, status_id__in=["paid", "processing", "shipped"]).count() == 0
    bad_subtotals = _scalar(
        "SELECT count(*) FROM orders_order o WHERE o.subtotal <> "
        "(SELECT sum(total_price) FROM orders_orderitem WHERE order_id = o.id)"
    )
    assert bad_subtotals == 0
    bad_wallets = _scalar(
        "SELECT count(*) FROM payments_wallet w WHERE w.balance <> (SELECT sum(CASE WHEN entry_type = 'use' "
        "THEN -amount ELSE amount END) FROM payments_walletentry WHERE wallet_id = w.id)"
    )
    assert bad_wallets == 0
    assert _scalar("SELECT count(*) FROM payments_walletentry WHERE balance_after < 0 OR amount > 10000") == 0
    bad_stock = _scalar(
        "SELECT count(*) FROM inventory_inventoryitem i WHERE i.quantity <> "
        "(SELECT sum(quantity_delta) FROM inventory_inventoryhistory WHERE inventory_item_id = i.id)"
    )
    assert bad_stock == 0
    unpaid = _scalar(
        "SELECT count(*) FROM orders_order o WHERE NOT EXISTS (SELECT 1 FROM payments_payment p "
        "WHERE p.order_id = o.id AND p.status = 'captured' AND p.amount = o.total_amount)"
    )
    assert unpaid == 0


def test_popular_products_match_the_order_lines(tiny):
    by_lines: dict[int, int] = {}
    for item in OrderItem.objects.filter(order__status_id__in=["paid", "processing", "shipped", "delivered"]):
        by_lines[item.product_id] = by_lines.get(item.product_id, 0) + item.quantity
    expected = sorted(by_lines.items(), key=lambda pq: (-pq[1], pq[0]))[:5]
    assert popular_product_quantities(days=3, limit=5) == expected


def test_tokens_are_written_for_every_customer(tiny):
    customers = json.loads(tiny.read_text())["customers"]
    assert len(customers) == 5
    token = AccessToken(customers[0]["token"])
    assert str(token["user_id"]) == str(customers[0]["id"])


def test_second_run_reuses_and_another_scale_refuses(tiny):
    call_command(BenchData(), **TINY, stdout=StringIO())
    assert Product.objects.count() == 20
    with pytest.raises(CommandError) as refused:
        call_command(BenchData(), **{**TINY, "products": 21}, stdout=StringIO())
    assert refused.value.returncode == 3


def test_the_bench_app_is_installed_by_the_bench_settings_only():
    assert "bench" not in settings.INSTALLED_APPS
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.urls import reverse; print(reverse('bench-floor'))",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.strip() == "/_bench/floor", shown.stderr
    command = subprocess.run(
        [sys.executable, "manage.py", "bench_data", "--help"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert command.returncode == 0 and "--tokens-out" in command.stdout, command.stderr


def test_the_shop_has_no_bench_routes(client):
    assert client.get("/_bench/floor").status_code == 404
