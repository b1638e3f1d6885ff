import pytest
from django.urls import reverse

from catalog.models import Category, Product, ProductImage, ProductVariant
from tests.admin_checks import assert_admin_cannot_delete

pytestmark = pytest.mark.django_db

MODELS = [Category, Product, ProductVariant, ProductImage]


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_and_add_pages_load(admin_client, make_product, model):
    make_product("Lamp")
    opts = model._meta

    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200


def test_product_change_page_has_variant_and_image_inlines(admin_client, make_product):
    product = make_product("Lamp")

    response = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="variants-TOTAL_FORMS"' in html
    assert 'name="images-TOTAL_FORMS"' in html


def test_product_changelist_searches_by_sku(admin_client, make_product):
    lamp = make_product("Lamp")
    make_product("Kettle")
    sku = lamp.variants.get().sku

    response = admin_client.get(reverse("admin:catalog_product_changelist"), {"q": sku})

    assert list(response.context["cl"].result_list) == [lamp]


def test_soft_deleted_products_stay_visible_and_can_be_restored(admin_client, make_product):
    lamp = make_product("Lamp")
    url = reverse("admin:catalog_product_changelist")

    response = admin_client.post(url, {"action": "soft_delete", "_selected_action": [lamp.pk]}, follow=True)

    assert "1 product deleted." in response.content.decode()
    assert not Product.objects.filter(pk=lamp.pk).exists()
    assert Product.all_objects.get(pk=lamp.pk).deleted_at is not None
    assert lamp in admin_client.get(url).context["cl"].result_list
    assert list(admin_client.get(url, {"deleted": "yes"}).context["cl"].result_list) == [lamp]
    assert admin_client.get(reverse("admin:catalog_product_change", args=[lamp.pk])).status_code == 200

    response = admin_client.post(url, {"action": "restore", "_selected_action": [lamp.pk]}, follow=True)

    assert "1 product restored." in response.content.decode()
    assert Product.objects.filter(pk=lamp.pk).exists()


def test_products_cannot_be_hard_deleted(admin_client, make_product):
    lamp = make_product("Lamp")

    assert admin_client.get(reverse("admin:catalog_product_delete", args=[lamp.pk])).status_code == 403
    assert_admin_cannot_delete(admin_client, lamp)


def test_image_form_accepts_a_site_path(admin_client, make_product):
    lamp = make_product("Lamp", image=False)

    response = admin_client.post(
        reverse("admin:catalog_productimage_add"),
        {"product": lamp.pk, "image_url": "/static/img/products/audio.svg", "alt_text": "Lamp", "display_order": 0},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ProductImage.objects.get(product=lamp).image_url == "/static/img/products/audio.svg"


def test_image_form_refuses_a_bad_url(admin_client, make_product):
    lamp = make_product("Lamp", image=False)

    response = admin_client.post(
        reverse("admin:catalog_productimage_add"),
        {"product": lamp.pk, "image_url": "javascript:alert(1)", "alt_text": "Lamp", "display_order": 0},
    )

    assert response.status_code == 200
    assert "image_url" in response.context["adminform"].form.errors


def test_category_add_form_prepopulates_the_slug(admin_client):
    response = admin_client.get(reverse("admin:catalog_category_add"))

    assert "prepopulated" in response.content.decode()
