"""Helpers the accounts services share: field checks, constraint names, the per-user lock."""

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from ..exceptions import FieldError, WeakPasswordError
from ..models import User


def _constraint_name(exc: IntegrityError) -> str:
    """The name of the violated constraint, as PostgreSQL reports it ("" when unknown)."""
    diag = getattr(exc.__cause__, "diag", None)
    return str(getattr(diag, "constraint_name", "") or "")


def _check_changes(data: Mapping[str, Any], allowed: Collection[str]) -> None:
    unknown = set(data).difference(allowed)
    if unknown:
        # A programming error, not user input: forms and serializers only pass known fields.
        raise ValueError(f"Fields that cannot be changed here: {sorted(unknown)}")


def _validate_fields(instance: Any, names: Iterable[str]) -> None:
    """Run the model's field validation (lengths, choices, URLs) on `names`; FieldError on failure."""
    names = set(names)
    exclude = [f.name for f in instance._meta.fields if f.name not in names]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        raise FieldError(fields=exc.message_dict) from exc


def _lock_owner(user: User) -> None:
    """Lock the user's row: the per-user mutex for writes that must not interleave."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPasswordError(messages=exc.messages) from exc
