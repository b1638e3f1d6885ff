"""The seller center's navigation: every section is one link away, and the one you are in is marked."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories.commerce import VariantFactory

pytestmark = pytest.mark.django_db

SECTIONS = ["inventory:seller_products", "orders_seller:order_lines", "orders_seller:issues", "seller_returns:list"]


def seller_nav_links(html: str) -> dict[str, bool]:
    """{href: marked as the current page} of the links in the seller center's navigation."""
    nav = re.search(r'<nav class="seller-nav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "the page has no seller navigation"
    return {href: "aria-current" in attrs for href, attrs in re.findall(r'<a href="([^"]+)"([^>]*)>', nav.group(1))}


@pytest.fixture
def seller_client(client):
    seller = VariantFactory(price=Decimal("12.00"), stock=5).product.seller
    client.force_login(seller.user)
    return client


@pytest.mark.parametrize("current", SECTIONS)
def test_every_seller_page_links_every_section_and_marks_its_own(seller_client, current):
    page = seller_client.get(reverse(current))

    assert page.status_code == 200
    links = seller_nav_links(page.content.decode())
    assert set(links) == {reverse(name) for name in SECTIONS}
    assert [href for href, is_current in links.items() if is_current] == [reverse(current)]


def test_the_issue_and_return_links_lead_to_pages_the_seller_can_open(seller_client):
    links = seller_nav_links(seller_client.get(reverse("inventory:seller_products")).content.decode())

    for href in ("/seller/issues/", "/seller/returns/"):
        assert href in links
        page = seller_client.get(href)
        assert page.status_code == 200 and b'class="seller-nav"' in page.content
