"""The product page's reads compiled once (common/prepared.py) answer what the ORM would, for
every product they are run with, and refuse what cannot be prepared."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import selectors
from catalog.models import Category, Product, ProductImage, ProductVariant, VariantStatus
from common.prepared import PreparedQuery
from inventory.models import InventoryItem
from tests.factories.commerce import CategoryFactory, VariantFactory


def _rows(variants):
    return [(v.pk, v.sku, v.price, v.status, v.available, v.low_stock_at, v.stock_status) for v in variants]


def test_the_variants_of_each_product_are_the_orms(make_product):
    """Compiled on the first product, run for others: each gets its own rows and live stock, as
    the ORM's `variants_for_sale()` answers them (carried as JSON, converted back exactly)."""
    shirt = make_product("Shirt", prices=("10.00", "12.50"), stock=7)
    VariantFactory(product=shirt, price=Decimal("9.00"), stock=0, status=VariantStatus.OUT_OF_STOCK)
    VariantFactory(product=shirt, price=Decimal("8.00"), stock=4, status=VariantStatus.DISCONTINUED)
    mug = make_product("Mug", prices=("4.00",), stock=2)
    gone = VariantFactory(product=mug, price=Decimal("5.00"), stock=9)
    ProductVariant.objects.filter(pk=gone.pk).soft_delete()
    InventoryItem.objects.filter(variant__product=mug).update(reserved_quantity=1)

    for product in (shirt, mug, shirt):
        prepared = selectors.product_for_page(product_id=product.pk).sale_variants
        orm = list(selectors.variants_for_sale().filter(product_id=product.pk))
        assert _rows(prepared) == _rows(orm)
        assert [str(v.price) for v in prepared] == [str(v.price) for v in orm]  # "12.50", not 12.5
        assert [(v.color, v.size, v.product_id) for v in prepared] == [(v.color, v.size, v.product_id) for v in orm]
    assert len(selectors.product_for_page(product_id=shirt.pk).sale_variants) == 3  # not the discontinued one
    assert _rows(selectors.product_for_page(product_id=mug.pk).sale_variants)[0][4:] == (1, 5, "low_stock")
    assert selectors.product_for_page(product_id=10**9) is None


def test_a_field_the_page_did_not_read_is_loaded_not_made_up(make_product):
    """The variants and images carry only the columns the page shows; another is read from the
    database when asked for (deferred), never a default standing in for the real value."""
    shirt = make_product("Shirt", prices=("10.00",), stock=7)
    ProductVariant.objects.filter(product=shirt).update(material="Linen")
    variant = selectors.product_for_page(product_id=shirt.pk).sale_variants[0]

    assert "material" in variant.get_deferred_fields()
    with CaptureQueriesContext(connection) as statements:
        assert variant.material == "Linen"
    assert len(statements.captured_queries) == 1

    product = selectors.product_for_page(product_id=shirt.pk)  # its times are not shown either
    assert {"created_at", "updated_at", "deleted_at"} <= product.get_deferred_fields()
    with CaptureQueriesContext(connection) as statements:
        assert product.created_at == Product.objects.get(pk=shirt.pk).created_at
    assert len(statements.captured_queries) == 2  # the deferred read, then the check's own


def test_the_api_product_reads_its_figures_images_and_category(make_product, tree):
    lamp = make_product("Lamp", prices=("30.00", "25.00"), stock=3, category=tree["audio"])
    ProductImage.objects.create(product=lamp, image_url="/static/img/b.svg", alt_text="Side", display_order=2)
    hidden = CategoryFactory(name="Hidden", slug="hidden", is_active=False)
    kettle = make_product("Kettle", category=hidden)

    with CaptureQueriesContext(connection) as statements:
        loaded = selectors.product_for_page(product_id=lamp.pk)
    # The product with its images and variants; the category tree (kept when the public cache is on).
    assert [query["sql"].split('"')[1] for query in statements.captured_queries] == [
        "catalog_product",
        "catalog_category",
    ]
    assert (loaded.title, loaded.price, loaded.available) == ("Lamp", Decimal("25.00"), 6)
    orm = selectors.products_for_listing().get(pk=lamp.pk)
    assert (loaded.price, loaded.available) == (orm.price, orm.available)
    assert loaded.category.slug == "audio"
    assert [image.alt_text for image in loaded.page_images] == ["Picture of Lamp", "Side"]
    assert [image.is_primary for image in loaded.primary_images] == [True]
    assert len(loaded.sale_variants) == 2

    # A product in a hidden category still names it (read on its own: the tree leaves it out).
    assert selectors.product_for_page(product_id=kettle.pk).category == Category.objects.get(slug="hidden")

    Product.objects.filter(pk=lamp.pk).soft_delete()
    assert selectors.product_for_page(product_id=lamp.pk) is None


@pytest.mark.django_db
def test_only_ints_are_swapped_in():
    """An id from a URL or a form arrives as an int or not at all: a string never reaches the SQL."""
    prepared = PreparedQuery(lambda product_id: Product.objects.filter(pk=product_id))
    for bad in ("1 OR 1=1", "1", 1.0, True, None):
        with pytest.raises(TypeError):
            prepared.run(product_id=bad)
    assert prepared.run(product_id=10**9) == []
    with pytest.raises(TypeError):
        prepared.run(product=1)  # not the name it was compiled with


def test_the_statements_constants_are_written_into_it_and_only_the_ids_are_parameters(make_product):
    """The ORM's constants (statuses, JSON keys, a pattern with its own "%") are part of the
    compiled statement, quoted as for any query; a run sends its ids alone, and answers as the
    ORM's own queryset does."""
    half = make_product("Half 50% off", prices=("10.00",))
    make_product("Full price", prices=("10.00",))
    by_pattern = PreparedQuery(
        lambda product_id: Product.objects.filter(pk__gte=product_id, title__contains="50% o", status="active")
    )
    sql, params = by_pattern.sql_for(product_id=half.pk)
    assert params == [half.pk] and "'active'" in sql and "LIKE" in sql
    assert [p.title for p in by_pattern.run(product_id=half.pk)] == ["Half 50% off"]
    assert by_pattern.run(product_id=half.pk + 10) == []

    page_sql, page_params = selectors._PRODUCT_WITH_ROWS.sql_for(product_id=half.pk)
    assert page_params == [half.pk] and "'image_url'" in page_sql
    assert selectors.product_for_page(product_id=half.pk).title == "Half 50% off"


def test_joined_and_prefetched_rows_are_the_orms(make_product, tree):
    """`select_related` rows come with the compiled statement, `prefetch_related` after it, one
    query each, as from the ORM; run for one product after another, each gets its own."""

    def build(product_id):
        return (
            Product.objects.select_related("category__parent")
            .prefetch_related("images")
            .filter(pk=product_id)
            .only("title", "category__name", "category__parent__name")
        )

    prepared = PreparedQuery(build)
    lamp = make_product("Lamp", category=tree["audio"])
    ProductImage.objects.create(product=lamp, image_url="/static/img/b.svg", alt_text="Side", display_order=2)
    kettle = make_product("Kettle")
    for product in (lamp, kettle, lamp):
        with CaptureQueriesContext(connection) as statements:
            (loaded,) = prepared.run(product_id=product.pk)
            parent = loaded.category and loaded.category.parent
            category = loaded.category and (loaded.category.name, parent and parent.name)
            images = [image.alt_text for image in loaded.images.all()]
        assert len(statements.captured_queries) == 2  # the product with its categories, its images
        (orm,) = build(product.pk)
        assert loaded.title == orm.title
        assert category == (orm.category and (orm.category.name, orm.category.parent and orm.category.parent.name))
        assert images == [image.alt_text for image in orm.images.all()]
        assert loaded.get_deferred_fields() == orm.get_deferred_fields()


def test_the_column_converters_are_worked_out_once_and_still_convert(make_product, monkeypatch):
    """The JSON arrays of the product's images and variants are decoded by their field's
    converter on every run, the converters worked out on the first run only."""
    from django.db.models.sql.compiler import SQLCompiler

    lamp, kettle = make_product("Lamp"), make_product("Kettle")
    ProductImage.objects.create(product=kettle, image_url="/static/img/k.svg", alt_text="Front")
    prepared = PreparedQuery(selectors._product_with_rows)
    prepared.run(product_id=lamp.pk)
    worked_out = []
    real = SQLCompiler.get_converters
    monkeypatch.setattr(SQLCompiler, "get_converters", lambda self, e: worked_out.append(1) or real(self, e))
    (loaded,) = prepared.run(product_id=kettle.pk)
    assert worked_out == []
    assert "Front" in [row["alt_text"] for row in loaded.image_rows]  # decoded: dicts, not text
    assert [row["sku"] for row in loaded.variant_rows] == [v.sku for v in kettle.variants.all()]


@pytest.mark.django_db(transaction=True)
def test_a_prepared_read_runs_on_each_threads_own_connection():
    """Compiled in one thread, run in another: the second uses its own connection (a worker's
    threads share the compiled statement, never a connection)."""
    import threading

    prepared = PreparedQuery(lambda product_id: Product.objects.filter(pk=product_id))
    assert prepared.run(product_id=10**9) == []
    seen: list[object] = []

    def other_thread() -> None:
        try:
            with CaptureQueriesContext(connection) as statements:
                prepared.run(product_id=10**9)
            seen.append(len(statements.captured_queries))
        finally:
            connection.close()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen == [1]  # counted on that thread's connection, not this one's


@pytest.mark.django_db
def test_what_cannot_be_prepared_is_refused():
    with pytest.raises(ImproperlyConfigured, match="product_id"):
        # The argument never reaches the statement: every run would answer the same rows.
        PreparedQuery(lambda product_id: Product.objects.filter(pk=1)).run(product_id=1)


def test_a_prepared_read_is_planned_once_per_connection_and_logged_with_its_values(make_product):
    """With DATABASES OPTIONS prepare_threshold set (settings), a prepared read runs as a
    PostgreSQL prepared statement (parsed and planned once per connection, not per page); the
    query log shows it with its values, as every other query."""
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] is not None
    lamps = [make_product(f"Lamp {n}", prices=("10.00",), stock=n) for n in range(3)]
    with CaptureQueriesContext(connection) as statements:
        for lamp in lamps:
            assert selectors.product_for_page(product_id=lamp.pk).title == lamp.title
    shown = [query["sql"] for query in statements.captured_queries if '"catalog_product"' in query["sql"]]
    assert len(shown) == 3 and f'"catalog_product"."id" = {lamps[2].pk}' in shown[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%catalog_productimage%'")
        prepared = cursor.fetchall()
    assert len(prepared) == 1 and "$1" in prepared[0][0]  # one statement, run three times with new ids


def test_without_prepared_statements_a_prepared_read_binds_on_the_client(make_product, monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=false (behind a pooler that cannot keep them): same rows, and
    no prepared statement run (counted by the runs PostgreSQL records for each, so a statement an
    earlier test prepared on this connection counts too)."""

    def prepared_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
            )
            statements, runs = cursor.fetchone()
            return statements + runs

    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    lamp = make_product("Lamp", prices=("10.00", "12.00"), stock=2)
    before = prepared_count()
    loaded = selectors.product_for_page(product_id=lamp.pk)
    assert (loaded.title, loaded.price, len(loaded.sale_variants)) == ("Lamp", Decimal("10.00"), 2)
    assert prepared_count() == before
