"""Threads racing to claim coupons against PostgreSQL: never more issued than there were, never two
to one customer, and every loser told why."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from promotions.exceptions import CouponAlreadyClaimedError, CouponNotClaimableError, CouponSoldOutError
from promotions.models import Coupon, CouponStatus, IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.accounts import UserFactory
from tests.factories.commerce import CouponFactory
from tests.payments.helpers import run_concurrently

# Transactional: each thread has its own connection and must see the others' commits. The rows
# data migrations put there come back after the flush through the root conftest's _reference_data.
pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

WORKERS = 32


def _outcomes(results) -> Counter:
    return Counter(type(value).__name__ if kind == "error" else kind for kind, value in results)


def test_1000_customers_racing_for_100_coupons_get_exactly_100():
    users = User.objects.bulk_create([User(email=f"racer{i}@example.com", password="!") for i in range(1000)])
    coupon = CouponFactory(initial_quantity=100)

    started = time.monotonic()
    results = run_concurrently(
        [lambda user=user: coupon_claim(coupon_id=coupon.pk, user=user) for user in users], workers=WORKERS
    )
    elapsed = time.monotonic() - started

    assert _outcomes(results) == {"ok": 100, "CouponSoldOutError": 900}
    assert all(isinstance(value, CouponSoldOutError) for kind, value in results if kind == "error")
    issued = IssuedCoupon.objects.filter(coupon=coupon)
    assert issued.count() == 100
    assert issued.values("user").distinct().count() == 100
    assert {value.pk for kind, value in results if kind == "ok"} == set(issued.values_list("pk", flat=True))
    coupon.refresh_from_db()
    assert (coupon.quantity, coupon.issued_count) == (0, 100)
    assert elapsed < 30, f"1,000 claims took {elapsed:.1f}s"


def test_one_customer_claiming_20_times_at_once_gets_one():
    user = UserFactory()
    coupon = CouponFactory(initial_quantity=50)

    results = run_concurrently([lambda: coupon_claim(coupon_id=coupon.pk, user=user)] * 20, workers=20)

    assert _outcomes(results) == {"ok": 1, "CouponAlreadyClaimedError": 19}
    assert all(isinstance(value, CouponAlreadyClaimedError) for kind, value in results if kind == "error")
    assert IssuedCoupon.objects.filter(coupon=coupon, user=user).count() == 1
    assert Coupon.objects.get(pk=coupon.pk).quantity == 49


def _wait_until_a_query_waits_on_a_lock(timeout: float = 10.0) -> None:
    """Until another connection of this test database is blocked on a row lock (the claim)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is frozen
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the claim never waited on the coupon's row")


STAFF_CHANGES = {
    "paused": {"status": CouponStatus.PAUSED},
    "ended": {"status": CouponStatus.ENDED},
    "not started": {"starts_at": timedelta(hours=1)},
    "expired": {"expires_at": -timedelta(seconds=1)},
    "soft-deleted": {"deleted_at": timedelta(0)},
}


@pytest.mark.parametrize("change", STAFF_CHANGES, ids=list(STAFF_CHANGES))
def test_a_claim_racing_a_change_that_ends_the_coupon_loses(change):
    """The claim read the coupon while it was live, then waited on its row while staff changed it:
    the conditional UPDATE re-checks status and dates on the changed row and takes nothing."""
    coupon = CouponFactory(initial_quantity=10)
    user = UserFactory()
    staff_has_the_row = threading.Event()
    outcome: dict[str, object] = {}

    def staff() -> None:
        try:
            with transaction.atomic():
                row = Coupon.all_objects.select_for_update().get(pk=coupon.pk)
                for field, value in STAFF_CHANGES[change].items():
                    setattr(row, field, timezone.now() + value if isinstance(value, timedelta) else value)
                row.save()
                staff_has_the_row.set()
                _wait_until_a_query_waits_on_a_lock()
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["staff"] = exc
        finally:
            connection.close()

    def claim() -> None:
        try:
            staff_has_the_row.wait(timeout=10)
            outcome["result"] = coupon_claim(coupon_id=coupon.pk, user=user)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["result"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=staff), threading.Thread(target=claim)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert "staff" not in outcome, outcome["staff"]
    assert isinstance(outcome["result"], CouponNotClaimableError), outcome["result"]
    assert not IssuedCoupon.objects.filter(coupon=coupon).exists()
    assert Coupon.all_objects.get(pk=coupon.pk).quantity == 10


def test_the_last_coupon_claimed_between_a_claims_read_and_its_update_is_sold_out():
    """The claim read the coupon with one left; before its UPDATE ran, a rival took that last one.
    The early `quantity == 0` answer cannot see it: only the UPDATE's `quantity > 0`, re-checked
    on the rival's committed row, does. Sold out (not `already_claimed`), nothing issued to us."""
    coupon = CouponFactory(initial_quantity=1)
    rival, user = UserFactory(), UserFactory()
    rival_has_the_row = threading.Event()
    outcome: dict[str, object] = {}

    def rival_claims_the_last_one() -> None:
        try:
            with transaction.atomic():  # its claim stays uncommitted, the row locked, until we wait on it
                outcome["rival"] = coupon_claim(coupon_id=coupon.pk, user=rival)
                rival_has_the_row.set()
                _wait_until_a_query_waits_on_a_lock()
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["rival"] = exc
        finally:
            rival_has_the_row.set()
            connection.close()

    def claim() -> None:
        try:
            rival_has_the_row.wait(timeout=10)
            outcome["result"] = coupon_claim(coupon_id=coupon.pk, user=user)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["result"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=rival_claims_the_last_one), threading.Thread(target=claim)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert isinstance(outcome["rival"], IssuedCoupon), outcome["rival"]
    assert isinstance(outcome["result"], CouponSoldOutError), outcome["result"]
    assert list(IssuedCoupon.objects.filter(coupon=coupon).values_list("user_id", flat=True)) == [rival.pk]
    coupon.refresh_from_db()
    assert (coupon.quantity, coupon.issued_count) == (0, 1)
