"""Checks shared by the staff-console tests."""

from django.db.models import Model
from django.test import Client
from django.urls import reverse


def assert_admin_cannot_delete(client: Client, obj: Model) -> None:
    """No way of the admin removes `obj`: its delete page is refused, and so are the page's
    confirmation (the POST that deletes) and the changelist's "delete selected" action; the row is
    still there, unchanged."""
    opts = obj._meta
    rows = type(obj)._base_manager.filter(pk=obj.pk)  # soft-deleted rows included
    before = rows.values().get()
    delete = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    assert client.get(delete).status_code == 403, "the delete page is offered"
    assert client.post(delete, {"post": "yes"}).status_code == 403, "the delete confirmation is accepted"
    bulk = client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert bulk.status_code in (200, 302), bulk.status_code

    assert rows.filter().values().first() == before, "the row was deleted or changed"
