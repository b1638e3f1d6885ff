"""The list endpoint and the list pages run the same number of queries for 5 or 40 products."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(make_product, tree):
    def fill(count: int) -> None:
        for number in range(count):
            product = make_product(f"Lamp {number:03d}", category=tree["headphones"], stock=number % 4)
            if number % 2:
                VariantFactory(product=product, name="Large", stock=3)

    return fill


def queries_for(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


CASES = [
    ("api-list", "/api/v1/products/", {"page_size": 50}),
    ("api-filtered", "/api/v1/products/", {"category": "electronics", "search": "lamp", "ordering": "price"}),
    ("api-categories", "/api/v1/categories/", {}),
    ("page-list", reverse("catalog:product_list"), {}),
    ("page-search", reverse("catalog:product_list"), {"q": "lamp", "in_stock": "on", "sort": "-price"}),
    ("page-category", reverse("catalog:category_detail", args=["electronics"]), {"sort": "price"}),
]


@pytest.mark.parametrize(("name", "url", "params"), CASES, ids=[case[0] for case in CASES])
def test_query_count_does_not_grow_with_products(client, catalogue, name, url, params):
    catalogue(5)
    few = queries_for(client, url, params)
    catalogue(35)
    many = queries_for(client, url, params)

    assert many == few


def test_api_list_query_budget(api_client, catalogue, django_assert_max_num_queries):
    catalogue(40)

    # the page's ids with the count, then those products with price, stock and primary images
    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/products/", {"page_size": 50})
    assert response.json()["count"] == 40


def test_product_list_page_query_budget(client, catalogue, django_assert_max_num_queries):
    catalogue(40)

    # the category tree (with every cache off, read for the form's choices, the filter and the
    # menu), the page's ids with the count, then those products with price, stock and images
    with django_assert_max_num_queries(5):
        response = client.get(reverse("catalog:product_list"), {"category": "electronics"})
    assert response.status_code == 200


def test_product_page_query_count_does_not_grow_with_variants(client, make_product):
    product = make_product("Shirt", prices=("10.00",))
    few = queries_for(client, reverse("catalog:product_detail", args=[product.pk]))
    for _ in range(10):
        VariantFactory(product=product, stock=2)
    many = queries_for(client, reverse("catalog:product_detail", args=[product.pk]))

    assert many == few


@pytest.mark.parametrize("url", ["catalog:product_detail", "catalog_api:product-detail"])
def test_a_product_is_one_statement_with_its_images_and_variants(client, make_product, tree, settings, url):
    """The product page and the product API read the product, its images and its variants with
    live stock in one statement (the category tree is kept per generation)."""
    settings.PUBLIC_CACHE_ENABLED = True
    make_product("Warm-up", category=tree["audio"])
    client.get(reverse(url, args=[Product.objects.get().pk]))  # the category tree is kept now
    product = make_product("Shirt", prices=("10.00", "12.00"), stock=3, category=tree["audio"])
    VariantFactory(product=product, stock=0)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url, args=[product.pk]))

    assert response.status_code == 200
    assert [query["sql"].split('"')[1] for query in captured] == ["catalog_product"]


@pytest.mark.parametrize("ordering", ["", "price", "-price", "title", "created_at"])
def test_a_listing_page_reads_the_figures_of_its_own_rows_only(catalogue, ordering):
    """selectors.ListingRows: the same pages as paginating the listing itself: a COUNT, the page's
    slice of the listing's ids, then those rows with their figures and primary images in one
    prepared statement whatever the listing (the figures computed for the rows shown, not for
    every row the OFFSET skips)."""
    from django.core.paginator import Paginator

    from catalog import selectors

    catalogue(11)
    listing = selectors.products_search(ordering=ordering)
    for number in (1, 2, 3):
        expected = Paginator(listing, 4).get_page(number)
        with CaptureQueriesContext(connection) as captured:
            page = Paginator(selectors.ListingRows(listing), 4).get_page(number)
            rows = list(page.object_list)

        def shown(products):
            return [(p.pk, p.price, p.available, p.category, [i.image_url for i in p.primary_images]) for p in products]

        assert shown(rows) == shown(expected)
        assert (page.paginator.count, page.number) == (11, number)
        assert len(captured) == 3
        ids, by_ids = captured.captured_queries[1]["sql"], captured.captured_queries[2]["sql"]
        offset = (number - 1) * 4
        assert f"LIMIT {min(4, 11 - offset)}" + (f" OFFSET {offset}" if offset else "") in ids
        assert ids.startswith('SELECT "catalog_product"."id"') and '"catalog_product"."id" IN (' in by_ids
        assert "inventory_inventoryitem" not in ids  # the stock of the page's rows only
        assert "JSONB_BUILD_OBJECT" in by_ids and "catalog_productimage" in by_ids  # the images inside


@pytest.mark.django_db(transaction=True)
def test_a_listings_count_is_kept_for_its_pages_until_the_catalogue_changes(catalogue, make_product, settings):
    from django.core.paginator import Paginator

    from catalog import selectors
    from catalog.cache import CATALOG
    from common.public_cache import generations_bump

    settings.PUBLIC_CACHE_ENABLED = True
    catalogue(11)

    def counts(number, **filters):
        with CaptureQueriesContext(connection) as captured:
            rows = selectors.ListingRows(selectors.products_search(**filters), count_kept_under=[CATALOG])
            page = Paginator(rows, 4).get_page(number)
        return page.paginator.count, sum("COUNT(" in query["sql"] for query in captured.captured_queries)

    assert counts(1) == (11, 1)
    assert counts(2) == counts(3) == (11, 0)  # the other pages of the same listing
    assert counts(2, ordering="price") == (11, 1)  # another listing, its own count
    make_product("One more lamp")
    generations_bump([CATALOG])  # as every catalogue write does
    assert counts(2) == (12, 1)


@pytest.mark.parametrize(
    ("asked", "shown", "statements"),
    [("1", 1, 2), ("2", 2, 2), ("3", 3, 2), ("9", 3, 4), ("x", 1, 2), ("0", 3, 3), (None, 1, 2)],
)
def test_the_asked_pages_ids_come_with_the_count_in_one_statement(catalogue, asked, shown, statements):
    """ListingRows told the page asked for: its ids and the count in one statement (a window
    COUNT), then the rows; a page past the end (or before the first) counts on its own and the
    paginator shows the last page, as without the hint."""
    from django.core.paginator import Paginator

    from catalog import selectors

    catalogue(11)
    listing = selectors.products_search(search="lamp")
    expected = Paginator(listing, 4).get_page(asked)
    with CaptureQueriesContext(connection) as captured:
        page = Paginator(selectors.ListingRows(listing, page=asked, per_page=4), 4).get_page(asked)
        rows = list(page.object_list)
    assert (page.number, page.paginator.count) == (shown, 11) == (expected.number, expected.paginator.count)
    assert [p.pk for p in rows] == [p.pk for p in expected.object_list]
    assert len(captured) == statements
    windowed = "COUNT(" in captured.captured_queries[0]["sql"] and "OVER ()" in captured.captured_queries[0]["sql"]
    assert windowed is (asked != "0")  # no page 0 to read with the count
