"""Abstract bases every app shares: timestamps and soft delete; bounded free text."""

from typing import Any

from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def bounded_text_field(max_length: int, **kwargs: Any) -> models.TextField:
    """Free text with a documented maximum: the model refuses longer text (`full_clean`, every
    ModelForm), DRF's model serializers take the limit and the API schema shows it as `maxLength`.
    """
    kwargs.setdefault("help_text", _("Up to %(count)s characters.") % {"count": f"{max_length:,}"})
    return models.TextField(max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def soft_delete(self) -> int:
        return self.update(deleted_at=timezone.now())

    def alive(self) -> "SoftDeleteQuerySet":
        return self.filter(deleted_at__isnull=True)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """The default manager: soft-deleted rows are invisible to the shop."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    """Rows are hidden, not removed: `objects` hides them, `all_objects` (admin) sees them."""

    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = AliveManager()
    all_objects = models.Manager.from_queryset(SoftDeleteQuerySet)()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
