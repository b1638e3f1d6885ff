"""Administrators.

Being an administrator is what makes a user staff (the admin site's door): the role profile and
`is_staff` change together, here and nowhere else.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..exceptions import AdministratorExistsError, AdministratorNotFoundError
from ..models import Administrator, User
from ._common import _check_changes, _validate_fields

logger = logging.getLogger(__name__)


ADMINISTRATOR_EDITABLE_FIELDS = frozenset({"role", "contact_phone"})


def administrator_create(*, user: User, role: str, contact_phone: str = "", actor: User | None = None) -> Administrator:
    """Make `user` an administrator with `role`; the user becomes staff.

    Raises: AdministratorExistsError, FieldError.
    """
    administrator = Administrator(role=role.strip(), contact_phone=contact_phone.strip())
    _validate_fields(administrator, ADMINISTRATOR_EDITABLE_FIELDS)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if Administrator.objects.filter(user=locked).exists():
            raise AdministratorExistsError()
        administrator.user = locked
        administrator.save()
        if not locked.is_staff:
            locked.is_staff = True
            locked.save(update_fields=["is_staff", "updated_at"])
    user.is_staff = True
    logger.info(
        "Administrator %s: user %s made staff by user %s", administrator.pk, user.pk, actor.pk if actor else None
    )
    return administrator


def administrator_update(*, administrator_id: int, data: Mapping[str, Any]) -> Administrator:
    """Change an administrator's role or contact phone. Raises: AdministratorNotFoundError, FieldError."""
    _check_changes(data, ADMINISTRATOR_EDITABLE_FIELDS)
    with transaction.atomic():
        administrator = Administrator.objects.select_for_update().filter(pk=administrator_id).first()
        if administrator is None:
            raise AdministratorNotFoundError()
        for name, value in data.items():
            setattr(administrator, name, value.strip() if isinstance(value, str) else value)
        _validate_fields(administrator, data)
        if data:
            administrator.save(update_fields=[*data, "updated_at"])
    return administrator


def administrator_remove(*, administrator_id: int, actor: User | None = None) -> User:
    """Delete the administrator profile; the user stops being staff unless a superuser.

    Returns the user. Raises: AdministratorNotFoundError.
    """
    with transaction.atomic():
        administrator = Administrator.objects.select_related("user").filter(pk=administrator_id).first()
        if administrator is None:
            raise AdministratorNotFoundError()
        user = User.objects.select_for_update().get(pk=administrator.user_id)
        administrator.delete()
        if user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff", "updated_at"])
    logger.info("Administrator %s removed: user %s by user %s", administrator_id, user.pk, actor.pk if actor else None)
    return user
