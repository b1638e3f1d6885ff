from decimal import Decimal

import pytest

from catalog import selectors
from catalog.models import Category, Product, ProductStatus, VariantStatus
from inventory.models import InventoryItem
from tests.factories.commerce import CategoryFactory, VariantFactory

pytestmark = pytest.mark.django_db


def titles(queryset):
    return [product.title for product in queryset]


def test_search_finds_partial_titles_in_any_case(make_product):
    make_product("Wireless Headphones")
    make_product("Garden Hose")

    assert titles(selectors.products_search(search="HEADPH")) == ["Wireless Headphones"]
    assert titles(selectors.products_search(search="phones")) == ["Wireless Headphones"]
    assert titles(selectors.products_search(search="nothing like it")) == []


def test_search_ranks_exact_then_prefix_matches_first(make_product):
    make_product("Big lamp shade")
    make_product("Lamp stand")
    make_product("lamp")

    assert titles(selectors.products_search(search="Lamp")) == ["lamp", "Lamp stand", "Big lamp shade"]


def test_search_treats_like_wildcards_literally(make_product):
    make_product("100% cotton shirt")
    make_product("Plain shirt")

    assert titles(selectors.products_search(search="100%")) == ["100% cotton shirt"]
    assert titles(selectors.products_search(search="_")) == []


def test_category_filter_includes_descendants_only(make_product, tree):
    make_product("Top", category=tree["electronics"])
    make_product("Middle", category=tree["audio"])
    make_product("Leaf", category=tree["headphones"])
    make_product("Elsewhere", category=tree["garden"])

    assert set(titles(selectors.products_search(category=tree["electronics"]))) == {"Top", "Middle", "Leaf"}
    assert set(titles(selectors.products_search(category=tree["audio"]))) == {"Middle", "Leaf"}


def test_inactive_category_hides_its_subtree_from_the_tree(tree):
    Category.objects.filter(pk=tree["audio"].pk).update(is_active=False)

    index = selectors.category_index()

    assert set(index.by_slug) == {"electronics", "garden"}
    assert [node.category.slug for node in selectors.category_tree()] == ["electronics", "garden"]


def test_category_index_knows_depth_and_ancestors(tree):
    index = selectors.category_index()

    assert index.by_slug["headphones"].depth == 2
    assert index.ancestors(tree["headphones"].pk) == [tree["electronics"], tree["audio"]]
    assert [node.category.slug for node in index.walk()] == ["electronics", "audio", "headphones", "garden"]


def test_category_by_ref_accepts_id_or_slug_of_active_categories(tree):
    assert selectors.category_by_ref(ref=str(tree["audio"].pk)) == tree["audio"]
    assert selectors.category_by_ref(ref="audio") == tree["audio"]
    assert selectors.category_by_ref(ref="nope") is None
    inactive = CategoryFactory(slug="old", is_active=False)
    assert selectors.category_by_ref(ref="old") is None
    assert selectors.category_by_ref(ref=str(inactive.pk)) is None


def test_price_filters_use_the_lowest_active_variant_price(make_product):
    make_product("Cheap", prices=("5.00",))
    make_product("Range", prices=("50.00", "10.00"))
    make_product("Dear", prices=("99.00",))

    assert titles(selectors.products_search(min_price=Decimal("10.00"), max_price=Decimal("50.00"))) == ["Range"]
    assert selectors.products_search(search="Range").get().price == Decimal("10.00")


def test_in_stock_filter(make_product):
    make_product("Plenty", stock=5)
    make_product("None left", stock=0)

    assert titles(selectors.products_search(in_stock=True)) == ["Plenty"]
    assert titles(selectors.products_search(in_stock=False)) == ["None left"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["B", "C", "A"]),
        ("-price", ["A", "C", "B"]),
        ("title", ["A", "B", "C"]),
        ("created_at", ["A", "B", "C"]),
        ("-created_at", ["C", "B", "A"]),
        ("", ["C", "B", "A"]),
        ("bogus", ["C", "B", "A"]),
    ],
)
def test_orderings(make_product, ordering, expected):
    make_product("A", prices=("30.00",))
    make_product("B", prices=("10.00",))
    make_product("C", prices=("20.00",))

    assert titles(selectors.products_search(ordering=ordering)) == expected


def test_listing_hides_drafts_and_soft_deleted_products(make_product):
    make_product("Shown")
    make_product("Draft", status=ProductStatus.DRAFT)
    gone = make_product("Gone")
    Product.objects.filter(pk=gone.pk).soft_delete()

    assert titles(selectors.products_search()) == ["Shown"]
    assert selectors.product_for_page(product_id=gone.pk) is None


def test_variants_for_sale_report_live_stock_and_status(make_product):
    product = make_product("Shirt", prices=("10.00",), stock=50)
    low = VariantFactory(product=product, price=Decimal("11.00"), stock=3)
    empty = VariantFactory(product=product, price=Decimal("12.00"), stock=0)
    marked = VariantFactory(product=product, price=Decimal("13.00"), stock=9, status=VariantStatus.OUT_OF_STOCK)
    VariantFactory(product=product, price=Decimal("14.00"), stock=9, status=VariantStatus.DISCONTINUED)
    item = InventoryItem.objects.get(variant=low)
    InventoryItem.objects.filter(pk=item.pk).update(reserved_quantity=1)

    loaded = selectors.product_for_page(product_id=product.pk)
    rows = {variant.pk: (variant.available, variant.stock_status) for variant in loaded.sale_variants}

    assert len(rows) == 4  # the discontinued one is not shown
    assert rows[low.pk] == (2, "low_stock")
    assert rows[empty.pk] == (0, "out_of_stock")
    assert rows[marked.pk] == (0, "out_of_stock")
    assert next(iter(rows.values())) == (50, "in_stock")
    assert loaded.available == 52  # the active variants only


def test_title_search_can_use_the_trigram_index(make_product):
    """`title__icontains` (what products_search filters with) compiles to UPPER(title) LIKE, the
    expression migration 0002 indexed with gin_trgm_ops."""
    from django.db import connection

    make_product("Desk Lamp")
    with connection.cursor() as cursor:
        # Tiny tables are scanned anyway; forbid that to see the index serves the lookup.
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = Product.all_objects.filter(title__icontains="lamp").order_by().explain()

    assert "catalog_product_title_trgm" in plan
