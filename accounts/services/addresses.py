"""The user's addresses.

Every address write of a user first locks that user's row: the writes of one user run one at
a time, so "exactly one primary" holds without retries, also for the very first address (when
there is no address row to lock yet). Within that, address rows are locked in id order.

The customer's kept primary address (`accounts.selectors.address_primary_kept`) is forgotten
after every write commits: a row saved or deleted through `accounts.signals`, and the queryset
`.update()` that steps the old primary down, which sends no signal, by its own `customer_bump`.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.public_cache import customer_bump

from ..exceptions import AddressNotFoundError
from ..models import Address, User
from ._common import _check_changes, _lock_owner, _validate_fields

# In the order the page and the API show them; the form, the serializer and the admin use this list.
ADDRESS_EDITABLE_FIELDS = (
    "address_type",
    "recipient_name",
    "street_address",
    "street_address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone",
)


def _clean_value(name: str, value: Any) -> Any:
    """Trimmed text; a country code in capitals ("gb" is "GB")."""
    if not isinstance(value, str):
        return value
    value = value.strip()
    return value.upper() if name == "country" else value


def _owned_address(*, user: User, address_id: int) -> Address:
    address = Address.objects.select_for_update().filter(user=user, pk=address_id).first()
    if address is None:
        raise AddressNotFoundError()
    return address


def address_create(*, user: User, data: Mapping[str, Any], is_primary: bool = False) -> Address:
    """Add an address. The user's first address, or one asked to be, becomes the primary one.

    Raises: FieldError.
    """
    _check_changes(data, ADDRESS_EDITABLE_FIELDS)
    address = Address(user=user, **{k: _clean_value(k, v) for k, v in data.items()})
    _validate_fields(address, ADDRESS_EDITABLE_FIELDS)
    with transaction.atomic():
        _lock_owner(user)
        has_primary = Address.objects.filter(user=user, is_primary=True).exists()
        if is_primary and has_primary:
            # The constraint is not deferrable: the old primary steps down before the new one exists.
            Address.objects.filter(user=user, is_primary=True).update(is_primary=False, updated_at=timezone.now())
            customer_bump(user.pk)
        address.is_primary = is_primary or not has_primary
        address.save()
    return address


def address_update(*, user: User, address_id: int, data: Mapping[str, Any]) -> Address:
    """Change an address's fields (which one is primary changes with `address_make_primary`).

    Raises: AddressNotFoundError, FieldError.
    """
    _check_changes(data, ADDRESS_EDITABLE_FIELDS)
    with transaction.atomic():
        address = _owned_address(user=user, address_id=address_id)
        for name, value in data.items():
            setattr(address, name, _clean_value(name, value))
        _validate_fields(address, data)
        if data:
            address.save(update_fields=[*data, "updated_at"])
    return address


def address_delete(*, user: User, address_id: int) -> Address | None:
    """Delete an address; when it was the primary one, the oldest remaining address takes over.

    Returns the new primary address, if one was promoted. Raises: AddressNotFoundError.
    """
    with transaction.atomic():
        _lock_owner(user)
        address = _owned_address(user=user, address_id=address_id)
        was_primary = address.is_primary
        address.delete()
        if not was_primary:
            return None
        successor = Address.objects.select_for_update().filter(user=user).order_by("id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    return successor


def address_make_primary(*, user: User, address_id: int) -> Address:
    """Make this address the primary one; the previous primary steps down in the same transaction.

    Raises: AddressNotFoundError.
    """
    with transaction.atomic():
        _lock_owner(user)
        address = _owned_address(user=user, address_id=address_id)
        if address.is_primary:
            return address
        Address.objects.filter(user=user, is_primary=True).update(is_primary=False, updated_at=timezone.now())
        customer_bump(user.pk)
        address.is_primary = True
        address.save(update_fields=["is_primary", "updated_at"])
    return address
