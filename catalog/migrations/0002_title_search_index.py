"""A trigram index so title search (`icontains`) stays fast on PostgreSQL; nothing on SQLite."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS catalog_product_title_trgm ON catalog_product USING gin (UPPER("title"::text) gin_trgm_ops)',
]
BACKWARD = ["DROP INDEX IF EXISTS catalog_product_title_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
