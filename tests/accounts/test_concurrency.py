"""Threads racing against PostgreSQL: exactly one primary address, one seller per registration
number, no deadlock."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from accounts import services
from accounts.exceptions import RegistrationNumberTakenError
from accounts.models import Address, Seller, User
from tests.factories.accounts import UserFactory

# Transactional: each thread has its own connection and must see the others' commits. The rows
# data migrations put there come back after the flush through the root conftest's _reference_data.
pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

ADDRESS = {"recipient_name": "R", "street_address": "S", "city": "C", "postal_code": "P", "country": "GB"}


@pytest.fixture(scope="module", autouse=True)
def _restore_migration_rows_after_the_module(django_db_blocker):
    """Put the data-migration rows back once this module's last test has flushed the database.

    Django reloads serialized contents only at the start of the next serialized-rollback test, so
    without this a reused test database (--reuse-db) would start the next run without them.
    """
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


def race(calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_racing_first_addresses_give_exactly_one_primary():
    user = UserFactory(primary_address=False)
    errors = race([lambda: services.address_create(user=user, data=ADDRESS)] * 6)
    assert errors == []
    assert Address.objects.filter(user=user).count() == 6
    assert Address.objects.filter(user=user, is_primary=True).count() == 1


def test_racing_make_primary_and_delete_keep_exactly_one_primary():
    user = UserFactory(primary_address=False)
    addresses = [services.address_create(user=user, data=ADDRESS) for _ in range(6)]
    calls = [lambda a=a: services.address_make_primary(user=user, address_id=a.pk) for a in addresses[1:4]]
    calls += [lambda: services.address_delete(user=user, address_id=addresses[0].pk)]
    calls += [lambda: services.address_create(user=user, data=ADDRESS, is_primary=True)]
    errors = race(calls)
    assert errors == []
    assert Address.objects.filter(user=user).count() == 6
    assert Address.objects.filter(user=user, is_primary=True).count() == 1


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_an_application_racing_past_the_check_gets_the_registration_number_field_error():
    """The other application's row is not committed when this one checks, so only the constraint
    (case-insensitive) stops it: the same field error, and the new account is not kept either."""
    first_user = UserFactory(primary_address=False)
    inserted, commit = threading.Event(), threading.Event()

    def first_application():
        try:
            with transaction.atomic():
                services.seller_apply(
                    user=first_user,
                    business_name="First",
                    business_registration_number="RACE-1",
                    contact_person_name="F",
                )
                inserted.set()
                commit.wait(timeout=30)
        finally:
            close_old_connections()

    holder = threading.Thread(target=first_application)
    holder.start()
    assert inserted.wait(timeout=30)
    errors = []

    def second_application():
        try:
            services.seller_apply(
                user=None,
                email="racer@example.com",
                password="a-long-and-unusual-passphrase",
                business_name="Second",
                business_registration_number="race-1",
                contact_person_name="S",
            )
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    racer = threading.Thread(target=second_application)
    racer.start()
    # The second insert waits on the unique index for the first transaction: past the check.
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _waiting_on_a_lock(), "the second application never reached the insert"
    commit.set()
    holder.join(timeout=30)
    racer.join(timeout=30)

    assert len(errors) == 1 and isinstance(errors[0], RegistrationNumberTakenError), errors
    assert errors[0].fields == {
        "business_registration_number": ["A seller with this business registration number already exists."]
    }
    assert list(Seller.objects.values_list("business_registration_number", flat=True)) == ["RACE-1"]
    assert not User.objects.filter(email="racer@example.com").exists()
