"""A delivered order can still be refunded (orders.models.TRANSITIONS): it is not a final state."""

from django.db import migrations


def delivered_not_final(apps, schema_editor):
    apps.get_model("orders", "OrderStatus").objects.filter(code="delivered").update(is_final_state=False)


def delivered_final(apps, schema_editor):
    apps.get_model("orders", "OrderStatus").objects.filter(code="delivered").update(is_final_state=True)


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_totals_within_a_cent")]
    operations = [migrations.RunPython(delivered_not_final, delivered_final)]
