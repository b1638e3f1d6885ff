"""Admin pieces the apps share."""

from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """View only: rows the services write (ledgers, stats, carts, lookups) are not edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
