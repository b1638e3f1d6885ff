import pytest
from django.urls import reverse

from accounts.models import SellerStatus
from inventory.models import ChangeType, InventoryHistory, InventoryItem
from tests.factories.accounts import SellerFactory, UserFactory
from tests.factories.commerce import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

LIST = reverse("inventory:seller_products")


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_users_without_an_active_seller_profile_are_refused(client):
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 403

    client.force_login(SellerFactory(status=SellerStatus.UNDER_REVIEW).user)
    assert client.get(LIST).status_code == 403


def test_seller_sees_only_their_own_products_with_stock(seller_client, own_variant, foreign_variant):
    VariantFactory(product=own_variant.product, sku="MINE-2", stock=3)
    ProductFactory(seller=own_variant.product.seller, title="Draft Lamp", status="draft")

    response = seller_client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "My Lamp" in html and "Draft Lamp" in html
    assert "Their Lamp" not in html
    assert "7 in stock, 0 reserved" in html  # 4 + 3 units of the two variants


def test_seller_product_page_shows_variants_and_restock_forms(seller_client, own_variant):
    response = seller_client.get(reverse("inventory:seller_product", args=[own_variant.product_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "MINE-1" in html
    assert f'action="{reverse("inventory:seller_restock", args=[own_variant.pk])}"' in html
    assert f'<label for="restock-{own_variant.pk}"' in html


def test_another_sellers_product_is_404(seller_client, foreign_variant):
    response = seller_client.get(reverse("inventory:seller_product", args=[foreign_variant.product_id]))

    assert response.status_code == 404


def test_restock_own_variant_writes_history(seller_client, seller, own_variant):
    response = seller_client.post(
        reverse("inventory:seller_restock", args=[own_variant.pk]), {"quantity": "6", "reason": "Truck"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:seller_product", args=[own_variant.product_id])
    assert InventoryItem.objects.get(variant=own_variant).quantity == 10
    row = InventoryHistory.objects.get()
    assert (row.change_type, row.quantity_delta, row.actor, row.reason) == (ChangeType.RESTOCK, 6, seller.user, "Truck")
    page = seller_client.get(response["Location"]).content.decode()
    assert "Added 6 units of MINE-1." in page


def test_restock_another_sellers_variant_is_404_and_changes_nothing(seller_client, foreign_variant):
    response = seller_client.post(reverse("inventory:seller_restock", args=[foreign_variant.pk]), {"quantity": "6"})

    assert response.status_code == 404
    assert InventoryItem.objects.get(variant=foreign_variant).quantity == 4
    assert not InventoryHistory.objects.exists()


@pytest.mark.parametrize("quantity", ["0", "-2", "abc", ""])
def test_restock_with_a_bad_quantity_shows_the_error(seller_client, own_variant, quantity):
    response = seller_client.post(reverse("inventory:seller_restock", args=[own_variant.pk]), {"quantity": quantity})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert InventoryItem.objects.get(variant=own_variant).quantity == 4
    assert not InventoryHistory.objects.exists()


def test_restock_is_post_only(seller_client, own_variant):
    assert seller_client.get(reverse("inventory:seller_restock", args=[own_variant.pk])).status_code == 405
