"""Writes of the catalogue: one function per use case."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from .cache import catalog_changed
from .models import Product


def product_soft_delete(*, product_ids: Iterable[int]) -> int:
    """Hide products from the shop (they stay for orders and staff). Returns how many changed."""
    product_ids = list(product_ids)
    with transaction.atomic():
        changed = Product.all_objects.filter(pk__in=product_ids, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )
        catalog_changed(product_ids=product_ids)
        return changed


def product_restore(*, product_ids: Iterable[int]) -> int:
    """Bring soft-deleted products back. Returns how many changed."""
    product_ids = list(product_ids)
    with transaction.atomic():
        changed = Product.all_objects.filter(pk__in=product_ids, deleted_at__isnull=False).update(deleted_at=None)
        catalog_changed(product_ids=product_ids)
        return changed
