"""Order numbers OM-YYYY-NNNNN, sequential per year and without gaps.

The counter row is the one row every checkout touches, so it is taken as the *last* step of the
checkout transaction: its lock is held only for the moment between that step and the commit.
"""

from django.db import connection, transaction

from .models import Order, OrderNumberCounter


def order_number_assign(*, order_id: int, year: int) -> str:
    """Give the order the year's next number, in the order's transaction; returns the number."""
    assert transaction.get_connection().in_atomic_block, "numbers are handed out inside the order's transaction"
    counter = connection.ops.quote_name(OrderNumberCounter._meta.db_table)
    orders = connection.ops.quote_name(Order._meta.db_table)
    # Every checkout queues on the counter row, so each round trip made while holding it costs
    # all of them (`make bench`): on PostgreSQL the upsert and the order's number are one
    # statement. SQLite (the embedded default) has no writable CTE: two statements there.
    upsert = (
        f"INSERT INTO {counter} (year, last_value) VALUES (%s, 1) "  # noqa: S608 - the table names are ours
        f"ON CONFLICT (year) DO UPDATE SET last_value = {counter}.last_value + 1 RETURNING last_value"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH next AS ({upsert}) UPDATE {orders} SET order_number = %s || "  # noqa: S608 # nosec B608 - our tables
                "CASE WHEN next.last_value < 100000 THEN lpad(next.last_value::text, 5, '0') "
                "ELSE next.last_value::text END "
                f"FROM next WHERE {orders}.id = %s RETURNING order_number",
                [year, format_order_number(year=year, value=0)[:-5], order_id],
            )
            (number,) = cursor.fetchone()
            return str(number)
        cursor.execute(upsert, [year])
        (value,) = cursor.fetchone()
    number = format_order_number(year=year, value=value)
    Order.objects.filter(pk=order_id).update(order_number=number)
    return number


def format_order_number(*, year: int, value: int) -> str:
    return f"OM-{year}-{value:05d}"
