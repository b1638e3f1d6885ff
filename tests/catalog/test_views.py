import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Category, Product, ProductStatus
from inventory.models import InventoryItem
from tests.factories.accounts import UserFactory
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- product list and search --------------------------------------------------------------------


def test_product_list_shows_cards_with_price_image_and_stock(client, make_product):
    make_product("Desk Lamp", prices=("24.50",), stock=40)
    make_product("Floor Lamp", prices=("80.00",), stock=2)
    make_product("Wall Lamp", prices=("30.00",), stock=0, image=False)

    html = html_of(client.get(reverse("catalog:product_list")))

    assert "<h1>All products</h1>" in html
    assert "3 products" in html
    assert "Desk Lamp" in html and "24.50 USD" in html
    assert 'alt="Picture of Desk Lamp"' in html
    assert "In stock" in html
    assert "Only 2 left" in html
    assert "Out of stock" in html


def test_header_search_submits_to_the_product_list(client):
    html = html_of(client.get(reverse("catalog:product_list")))

    assert f'role="search" method="get" action="{reverse("catalog:product_list")}"' in html


def test_search_finds_partial_title_case_insensitively(client, make_product):
    make_product("Wireless Headphones")
    make_product("Garden Hose")

    html = html_of(client.get(reverse("catalog:product_list"), {"q": "HEADph"}))

    assert "Wireless Headphones" in html
    assert "Garden Hose" not in html
    assert "Results for “HEADph”" in html
    assert 'value="HEADph"' in html  # the search box keeps the words


def test_search_without_results_says_so(client, make_product):
    make_product("Garden Hose")

    html = html_of(client.get(reverse("catalog:product_list"), {"q": "spaceship"}))

    assert "No products match" in html


def test_filters_category_price_and_stock(client, make_product, tree):
    make_product("Studio Headphones", prices=("150.00",), category=tree["headphones"])
    make_product("Cheap Earbuds", prices=("9.00",), category=tree["audio"])
    make_product("Sold out Speaker", prices=("60.00",), category=tree["audio"], stock=0)
    make_product("Rake", prices=("60.00",), category=tree["garden"])
    url = reverse("catalog:product_list")

    html = html_of(client.get(url, {"category": "electronics"}))
    assert "Studio Headphones" in html and "Cheap Earbuds" in html and "Rake" not in html

    html = html_of(client.get(url, {"category": "electronics", "min_price": "10", "max_price": "100"}))
    assert "Sold out Speaker" in html and "Cheap Earbuds" not in html and "Studio Headphones" not in html

    html = html_of(client.get(url, {"category": "audio", "in_stock": "on"}))
    assert "Sold out Speaker" not in html and "Cheap Earbuds" in html


def test_category_choices_are_indented_by_depth(client, tree):
    html = html_of(client.get(reverse("catalog:product_list")))

    assert '<option value="headphones">— — Headphones</option>' in html


def test_invalid_filters_are_reported_and_ignored(client, make_product):
    make_product("Kettle", prices=("20.00",))

    html = html_of(client.get(reverse("catalog:product_list"), {"min_price": "abc", "category": "nope"}))

    assert "Enter a number." in html
    assert "Select a valid choice." in html
    assert "Kettle" in html


def test_min_price_above_max_price_is_an_error(client, make_product):
    html = html_of(client.get(reverse("catalog:product_list"), {"min_price": "50", "max_price": "10"}))

    assert "must not be lower than the minimum" in html


def test_sort_by_price(client, make_product):
    make_product("Middle", prices=("20.00",))
    make_product("Dear", prices=("30.00",))
    make_product("Cheap", prices=("10.00",))
    url = reverse("catalog:product_list")

    html = html_of(client.get(url, {"sort": "price"}))
    assert html.index("Cheap") < html.index("Middle") < html.index("Dear")

    html = html_of(client.get(url, {"sort": "-price"}))
    assert html.index("Dear") < html.index("Middle") < html.index("Cheap")


def test_pagination_keeps_the_filters(client, make_product, seller):
    for number in range(30):
        make_product(f"Mug {number:02d}", image=False)
    url = reverse("catalog:product_list")

    first = html_of(client.get(url, {"q": "mug", "sort": "title"}))
    second = html_of(client.get(url, {"q": "mug", "sort": "title", "page": "2"}))

    assert "Page 1 of 2" in first
    assert "Mug 00" in first and "Mug 23" in first and "Mug 24" not in first
    assert "Mug 24" in second and "Mug 29" in second and "Mug 00" not in second
    assert 'href="?q=mug&amp;sort=title&amp;page=2"' in first
    assert "Page 2 of 2" in second


def test_out_of_range_page_shows_the_last_page(client, make_product):
    make_product("Only one")

    html = html_of(client.get(reverse("catalog:product_list"), {"page": "99"}))

    assert "Only one" in html


def test_pages_have_no_inline_styles_or_scripts(client, make_product, tree):
    product = make_product("Lamp", category=tree["audio"])
    for url in (
        reverse("catalog:product_list"),
        reverse("catalog:category_detail", args=["audio"]),
        reverse("catalog:product_detail", args=[product.pk]),
    ):
        html = html_of(client.get(url))
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)


# --- category page ------------------------------------------------------------------------------


def test_category_page_lists_its_and_its_descendants_products(client, make_product, tree):
    make_product("Studio Headphones", category=tree["headphones"])
    make_product("Radio", category=tree["electronics"])
    make_product("Rake", category=tree["garden"])

    html = html_of(client.get(reverse("catalog:category_detail", args=["electronics"])))

    assert "<h1>Electronics</h1>" in html
    assert "Studio Headphones" in html and "Radio" in html
    assert "Rake" not in html
    assert f'href="{reverse("catalog:category_detail", args=["audio"])}"' in html  # subcategory link


def test_category_page_shows_breadcrumbs_and_sorts(client, make_product, tree):
    make_product("Dear pair", prices=("90.00",), category=tree["headphones"])
    make_product("Cheap pair", prices=("15.00",), category=tree["headphones"])

    html = html_of(client.get(reverse("catalog:category_detail", args=["headphones"]), {"sort": "price"}))

    assert html.index("Cheap pair") < html.index("Dear pair")
    assert f'<a href="{reverse("catalog:category_detail", args=["electronics"])}">Electronics</a>' in html


def test_category_page_404_for_unknown_or_inactive(client, tree):
    Category.objects.filter(pk=tree["garden"].pk).update(is_active=False)

    assert client.get(reverse("catalog:category_detail", args=["nope"])).status_code == 404
    assert client.get(reverse("catalog:category_detail", args=["garden"])).status_code == 404


# --- product page -------------------------------------------------------------------------------


def test_product_page_shows_details_variants_and_badges(client, make_product):
    product = make_product("Trail Shoe", prices=("80.00",), stock=30, brand="Acme", description="Grippy soles.")
    low = VariantFactory(product=product, name="EU 44", price=Decimal("85.00"), stock=2)
    VariantFactory(product=product, name="EU 46", price=Decimal("85.00"), stock=0)

    html = html_of(client.get(reverse("catalog:product_detail", args=[product.pk])))

    assert "<h1>Trail Shoe</h1>" in html
    assert "by Acme" in html
    assert "Grippy soles." in html
    assert 'alt="Picture of Trail Shoe"' in html
    assert "80.00 USD" in html and "85.00 USD" in html
    assert low.sku in html
    assert "Only 2 left" in html
    assert "Out of stock" in html
    assert "In stock" in html


def test_product_page_asks_visitors_to_sign_in_to_buy(client, make_product):
    product = make_product("Kettle")

    html = html_of(client.get(reverse("catalog:product_detail", args=[product.pk])))

    assert "Sign in to buy" in html
    assert 'name="idempotency_key"' not in html


def test_product_page_order_form_for_signed_in_users(client, make_product):
    product = make_product("Kettle", prices=("20.00",), stock=5)
    sold_out = VariantFactory(product=product, name="Red", stock=0)
    client.force_login(UserFactory())

    first = html_of(client.get(reverse("catalog:product_detail", args=[product.pk])))
    second = html_of(client.get(reverse("catalog:product_detail", args=[product.pk])))

    assert 'method="post"' in first
    assert f'action="{reverse("orders:place")}"' in first
    in_stock = product.variants.exclude(pk=sold_out.pk).get()
    assert f'name="variant_id" value="{in_stock.pk}"' in first
    assert f'name="variant_id" value="{sold_out.pk}"' not in first  # only variants in stock
    assert 'name="quantity"' in first and 'min="1"' in first
    assert "Buy now" in first
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', first).group(1)
    assert key not in second  # a fresh key per render
    assert "no-store" in client.get(reverse("catalog:product_detail", args=[product.pk]))["Cache-Control"]


def test_product_page_without_stock_has_no_order_form(client, make_product):
    product = make_product("Kettle", stock=0)
    client.force_login(UserFactory())

    html = html_of(client.get(reverse("catalog:product_detail", args=[product.pk])))

    assert "out of stock right now" in html
    assert f'action="{reverse("orders:place")}"' not in html and "Buy now" not in html
    # A sold-out product can still be saved for later (wishlists, branch cwish).
    assert f'action="{reverse("wishlists:add")}"' in html


@pytest.mark.parametrize("state", ["unknown", "draft", "inactive", "discontinued", "deleted"])
def test_product_page_404(client, make_product, state):
    product = make_product("Hidden")
    if state == "unknown":
        product_id = product.pk + 1000
    else:
        product_id = product.pk
        if state == "deleted":
            Product.objects.filter(pk=product.pk).soft_delete()
        else:
            Product.objects.filter(pk=product.pk).update(status=state)

    assert client.get(reverse("catalog:product_detail", args=[product_id])).status_code == 404


def test_product_page_counts_stock_of_every_warehouse(client, make_product):
    from inventory.models import Warehouse

    product = make_product("Tent", stock=1)
    second = Warehouse.objects.create(code="north", name="North")
    InventoryItem.objects.create(variant=product.variants.get(), warehouse=second, quantity=20)

    html = html_of(client.get(reverse("catalog:product_detail", args=[product.pk])))

    assert "In stock" in html
    assert "Only 1 left" not in html


def test_status_choices_cover_the_404_cases():
    assert {"draft", "inactive", "discontinued"} <= set(ProductStatus.values)


def test_filter_panel_opens_when_filters_are_applied(client):
    url = reverse("catalog:product_list")

    assert "<details>" in html_of(client.get(url))
    assert "<details open>" in html_of(client.get(url, {"min_price": "5"}))
    assert "<details>" in html_of(client.get(url, {"q": "lamp"}))  # words alone are not filters


def test_default_sort_is_best_match_when_searching_and_newest_otherwise(client):
    url = reverse("catalog:product_list")

    assert '<option value="" selected>Newest</option>' in html_of(client.get(url))
    assert '<option value="" selected>Best match</option>' in html_of(client.get(url, {"q": "lamp"}))


def test_product_page_says_from_only_when_prices_differ(client, make_product):
    same = make_product("Same", prices=("10.00", "10.00"))
    differ = make_product("Differ", prices=("10.00", "12.00"))

    assert "From" not in html_of(client.get(reverse("catalog:product_detail", args=[same.pk])))
    assert "From" in html_of(client.get(reverse("catalog:product_detail", args=[differ.pk])))


def test_the_stock_badge_says_each_level_and_the_units_left_in_the_active_language():
    """catalog_tags.stock_badge, kept per language and what it says: never one level's or one
    count's words on another, nor one language's in another."""
    from django.utils import translation

    from catalog.templatetags.catalog_tags import _stock_badge, stock_badge

    assert stock_badge(0) == stock_badge(-2) == '<span class="badge stock-badge stock-out">Out of stock</span>'
    assert stock_badge(3) == '<span class="badge stock-badge stock-low">Only 3 left</span>'
    assert stock_badge(2) == '<span class="badge stock-badge stock-low">Only 2 left</span>'
    assert (
        stock_badge(50)
        == stock_badge("7", low_stock_at=6)
        == '<span class="badge stock-badge stock-in">In stock</span>'
    )
    assert stock_badge(7, low_stock_at="8") == '<span class="badge stock-badge stock-low">Only 7 left</span>'
    assert stock_badge(None) == stock_badge(0)
    _stock_badge.cache_clear()
    stock_badge(50)
    with translation.override("de"):
        stock_badge(50)
    assert _stock_badge.cache_info().currsize == 2  # one kept badge per language
