"""The order e-mails move into the shop's one outbox (`common.Notification`): each row is copied
with its status, attempts and times, under the dedupe key `order:<id>:<kind>` that replaces the
unique (order, kind); `OrderNotification` stays as a proxy over the order kinds."""

from django.db import migrations

INTO_THE_OUTBOX = (
    "INSERT INTO common_notification (kind, channel, user_id, recipient, subject_type_id, subject_id,"
    " dedupe_key, context, status, attempts, sent_at, last_error, created_at, updated_at)"
    " SELECT n.kind, n.channel, o.customer_id, n.recipient, %s, n.order_id,"
    " 'order:' || n.order_id || ':' || n.kind, {empty}, n.status, n.attempts, n.sent_at, n.last_error,"
    " n.created_at, n.updated_at"
    " FROM orders_ordernotification n JOIN orders_order o ON o.id = n.order_id ORDER BY n.id"
)
# An empty JSON object, as each database spells one.
EMPTY_JSON = {"postgresql": "'{}'::jsonb"}
OUT_OF_THE_OUTBOX = (
    "INSERT INTO orders_ordernotification (order_id, kind, channel, recipient, status, attempts, sent_at,"
    " last_error, created_at, updated_at)"
    " SELECT subject_id, kind, channel, recipient, CASE status WHEN 'skipped' THEN 'failed' ELSE status END,"
    " attempts, sent_at, last_error, created_at, updated_at FROM common_notification"
    " WHERE subject_type_id = %s AND kind IN ('confirmation', 'cancellation') ORDER BY id"
)
FORGET_ORDER_ROWS = (
    "DELETE FROM common_notification WHERE subject_type_id = %s AND kind IN ('confirmation', 'cancellation')"
)


def _order_type_id(apps) -> int:
    content_type = apps.get_model("contenttypes", "ContentType")
    return content_type.objects.get_or_create(app_label="orders", model="order")[0].pk


def into_the_outbox(apps, schema_editor):
    if not apps.get_model("orders", "OrderNotification").objects.exists():
        return
    connection = schema_editor.connection
    sql = INTO_THE_OUTBOX.replace("{empty}", EMPTY_JSON.get(connection.vendor, "'{}'"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [_order_type_id(apps)])


def out_of_the_outbox(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OUT_OF_THE_OUTBOX, [_order_type_id(apps)])
        cursor.execute(FORGET_ORDER_ROWS, [_order_type_id(apps)])


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("common", "0001_notification"),
        ("orders", "0007_text_maximums"),
    ]

    operations = [
        migrations.RunPython(into_the_outbox, out_of_the_outbox),
        migrations.DeleteModel(name="OrderNotification"),
        migrations.CreateModel(
            name="OrderNotification",
            fields=[],
            options={"ordering": ["-id"], "proxy": True, "indexes": [], "constraints": []},
            bases=("common.notification",),
        ),
    ]
