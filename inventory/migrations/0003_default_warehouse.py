from django.db import migrations

from inventory.reference_data import ensure_default_warehouse


def create_default_warehouse(apps, schema_editor):
    ensure_default_warehouse(apps)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_initial")]
    operations = [migrations.RunPython(create_default_warehouse, migrations.RunPython.noop)]
