"""The wallet's ledger, in the API and on the page, costs the same queries for one entry as for a
full page of them (entries with and without an order)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.services import wallet_charge, wallet_debit

from .helpers import order_for

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/wallet/entries/"
PAGE = "/wallet/"


def add_entries(user, pairs: int) -> None:
    """`pairs` top-ups and as many payments, each payment with its own order."""
    for _ in range(pairs):
        wallet_charge(user=user, amount="10.00")
        order = order_for(user, "5.00")
        wallet_debit(user=user, amount=Decimal("5.00"), order_id=order.pk, reference=f"order:{order.pk}")


def queries_for(client, url: str, *, rows: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    if url == ENTRIES:
        assert response.json()["count"] == rows
    else:
        assert response.content.decode().count('data-label="Balance after"') == rows
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [ENTRIES, PAGE])
def test_the_ledger_costs_the_same_queries_for_one_entry_and_a_full_page(
    url, api, signed_in, user, django_assert_max_num_queries
):
    client = api if url == ENTRIES else signed_in
    wallet_charge(user=user, amount="10.00")
    one = queries_for(client, url, rows=1)

    add_entries(user, 9)  # 19 entries: the page (20) holds them all, half of them name an order

    with django_assert_max_num_queries(one):
        queries_for(client, url, rows=19)
    assert one <= (8 if url.startswith("/api/") else 12)  # sign-in, count, rows; a page adds its menu
