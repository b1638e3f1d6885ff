"""A visitor without a session still gets the product page (now with "Add to cart") from the public
cache: the form carries no token, no session is read or made; their first add makes the session."""

import pytest
from django.test import Client
from django.urls import reverse

from common.public_cache import HIT_HEADER
from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True


def test_the_product_page_with_add_to_cart_is_shared_until_the_visitor_adds(django_assert_num_queries):
    variant = VariantFactory(stock=3, product__title="Blue teapot")
    url = reverse("catalog:product_detail", args=[variant.product_id])
    visitor = Client()
    first = visitor.get(url)
    assert first[HIT_HEADER] == "miss" and "csrfmiddlewaretoken" not in first.content.decode()
    assert f'action="{reverse("carts:add")}"' in first.content.decode()
    with django_assert_num_queries(0):
        assert Client().get(url)[HIT_HEADER] == "hit"
    assert not first.cookies

    visitor.post(reverse("carts:add"), {"variant_id": variant.pk, "quantity": 1, "next": url})

    # With a session (a guest's cart) the page is their own: live, with their count and a token.
    mine = visitor.get(url)
    assert HIT_HEADER not in mine
    html = mine.content.decode()
    assert 'cart-count">1<' in html and "csrfmiddlewaretoken" in html
    assert Client().get(url)[HIT_HEADER] == "hit"  # others still share the page
