"""The product page's "Add to wishlist" form with the public cache on: each customer sees their
own lists, never another's; a visitor sees the sign-in link; a change of a list shows on the
next request (the wishlist services bump the customer's generation after commit)."""

import pytest
from django.test import Client
from django.urls import reverse

from carts.wishlists import wishlist_create, wishlist_update
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True


def test_each_customer_sees_their_own_lists_on_a_shared_product_page():
    variant = VariantFactory(stock=5)
    url = reverse("catalog:product_detail", args=[variant.product_id])
    ann, bob = funded_user(), funded_user()
    for user, names in ((ann, ("Ann home", "Ann gifts")), (bob, ("Bob home", "Bob garden"))):
        for name in names:
            wishlist_create(user=user, name=name)
    browsers = {"ann": Client(), "bob": Client(), "visitor": Client()}
    browsers["ann"].force_login(ann)
    browsers["bob"].force_login(bob)

    for _round in range(2):
        for who, browser in browsers.items():
            html = browser.get(url).content.decode()
            shown = {
                name for name in ("Ann home", "Ann gifts", "Bob home", "Bob garden") if f">{name}</option>" in html
            }
            expected = {"ann": {"Ann home", "Ann gifts"}, "bob": {"Bob home", "Bob garden"}, "visitor": set()}[who]
            assert shown == expected, (who, _round)
            assert ("Sign in to add to a wishlist" in html) == (who == "visitor")

    gifts = ann.wishlists.get(name="Ann gifts")
    wishlist_update(user=ann, wishlist_id=gifts.pk, name="Ann presents")
    html = browsers["ann"].get(url).content.decode()
    assert f'<option value="{gifts.pk}">Ann presents</option>' in html
    assert ">Ann gifts</option>" not in html
