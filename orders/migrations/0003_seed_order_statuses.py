from django.db import migrations

from orders.reference_data import ensure_order_statuses


def seed_statuses(apps, schema_editor):
    ensure_order_statuses(apps)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_initial")]
    operations = [migrations.RunPython(seed_statuses, migrations.RunPython.noop)]
