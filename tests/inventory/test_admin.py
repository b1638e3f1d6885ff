import pytest
from django.urls import reverse

from inventory.models import ChangeType, InventoryHistory, InventoryItem, Warehouse
from inventory.services import stock_restock
from tests.admin_checks import assert_admin_cannot_delete

from .conftest import reserve

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:inventory_inventoryitem_changelist")


@pytest.mark.parametrize("model", [Warehouse, InventoryItem], ids=lambda model: model.__name__)
def test_changelist_and_add_pages_load(admin_client, item, model):
    opts = model._meta

    assert admin_client.get(reverse(f"admin:inventory_{opts.model_name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:inventory_{opts.model_name}_add")).status_code == 200


def test_stock_list_shows_counts(admin_client, item):
    reserve(item, 3)

    response = admin_client.get(CHANGELIST)

    html = response.content.decode()
    assert item.variant.sku in html
    for column in ("field-quantity", "field-reserved_quantity", "field-available_quantity", "field-status"):
        assert column in html
    assert '<td class="field-available_quantity">7</td>' in html


def test_history_is_read_only(admin_client, item):
    movement = stock_restock(variant_id=item.variant_id, quantity=2)

    assert admin_client.get(reverse("admin:inventory_inventoryhistory_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:inventory_inventoryhistory_add")).status_code == 403
    view = admin_client.get(reverse("admin:inventory_inventoryhistory_change", args=[movement.pk]))
    assert view.status_code == 200
    assert 'name="quantity_delta"' not in view.content.decode()
    assert admin_client.get(reverse("admin:inventory_inventoryhistory_delete", args=[movement.pk])).status_code == 403
    assert_admin_cannot_delete(admin_client, movement)


def test_quantity_is_read_only_in_the_change_form(admin_client, item):
    response = admin_client.get(reverse("admin:inventory_inventoryitem_change", args=[item.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="quantity"' not in html
    assert 'name="reserved_quantity"' not in html
    assert 'name="reorder_point"' in html


def test_saving_the_change_form_cannot_change_the_count(admin_client, item):
    admin_client.post(
        reverse("admin:inventory_inventoryitem_change", args=[item.pk]),
        {"quantity": "999", "reorder_point": "2", "cost_price": "", "last_count_date_0": "", "last_count_date_1": ""},
    )

    item.refresh_from_db()
    assert item.quantity == 10
    assert item.reorder_point == 2


def test_restock_action_asks_then_writes_history(admin_client, superuser, item):
    selection = {"action": "restock", "_selected_action": [item.pk]}

    form_page = admin_client.post(CHANGELIST, selection)
    assert form_page.status_code == 200
    assert 'name="quantity"' in form_page.content.decode()
    assert not InventoryHistory.objects.exists()

    response = admin_client.post(
        CHANGELIST, {**selection, "apply": "1", "quantity": "5", "reason": "Truck"}, follow=True
    )

    assert "Restocked 1 item." in response.content.decode()
    item.refresh_from_db()
    assert item.quantity == 15
    row = InventoryHistory.objects.get()
    assert (row.change_type, row.quantity_delta, row.actor, row.reason) == (ChangeType.RESTOCK, 5, superuser, "Truck")


def test_restock_action_with_a_bad_quantity_shows_the_form_again(admin_client, item):
    response = admin_client.post(
        CHANGELIST, {"action": "restock", "_selected_action": [item.pk], "apply": "1", "quantity": "0"}
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not InventoryHistory.objects.exists()


def test_set_counted_quantity_action_writes_history(admin_client, item):
    response = admin_client.post(
        CHANGELIST,
        {"action": "set_counted_quantity", "_selected_action": [item.pk], "apply": "1", "new_quantity": "3"},
        follow=True,
    )

    assert "Counted 1 item." in response.content.decode()
    item.refresh_from_db()
    assert item.quantity == 3
    row = InventoryHistory.objects.get()
    assert (row.change_type, row.quantity_before, row.quantity_after) == (ChangeType.ADJUSTMENT, 10, 3)


def test_set_counted_quantity_below_reserved_is_an_error_message(admin_client, item, variant):
    reserve(item, 6)

    response = admin_client.post(
        CHANGELIST,
        {"action": "set_counted_quantity", "_selected_action": [item.pk], "apply": "1", "new_quantity": "2"},
        follow=True,
    )

    html = response.content.decode()
    assert f"{variant.sku}: 6 units are reserved for orders" in html
    item.refresh_from_db()
    assert item.quantity == 10
    assert not InventoryHistory.objects.exists()


def test_stock_rows_cannot_be_deleted(admin_client, item):
    assert admin_client.get(reverse("admin:inventory_inventoryitem_delete", args=[item.pk])).status_code == 403
    assert_admin_cannot_delete(admin_client, item)
