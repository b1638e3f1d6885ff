"""Abstract bases every app shares (timestamps, soft delete, bounded free text) and the shop's one
outbox table."""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
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


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]  # django-stubs cannot type Manager.from_queryset(...) as a base class
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


# A message's text as kept on its row (an e-mail's body: an order of many lines stays far below).
NOTIFICATION_BODY_MAX_LENGTH = 20_000


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")  # claimed by a worker: the mail may be out already
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")  # the recipient opted out, or the news is out of date


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    # Shown in the account's notification list and counted in the header; "sent" once its text is
    # written on the row (nothing leaves the shop), whatever the user's e-mail preferences.
    IN_APP = "in_app", _("In the shop")


class Notification(TimeStampedModel):
    """A message the shop owes someone: the outbox row of every e-mail and every in-app
    notification the shop sends, one row per channel. `common.outbox` writes it in the transaction
    of the change it tells about and sends it after commit; a periodic task sends what is still owed.

    `dedupe_key` is unique per channel: the same news (one kind about one subject) is queued, and so
    sent, at most once by e-mail and once in the shop. `context` holds ids and strings only; the
    kind's renderer reads the rest at send time, and the text it wrote is kept in `title` and `body`.
    """

    kind = models.CharField(max_length=40, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    recipient = models.CharField(max_length=254)
    # What the message is about (an order, a seller), for staff and for "this order's e-mails".
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    dedupe_key = models.CharField(max_length=200)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, verbose_name=_("failure reason"))
    # What was said, as rendered at send time: the e-mail's subject line (`subject` above is what
    # the message is about) and its text; the in-app notification shows the same.
    title = models.CharField(max_length=255, blank=True, verbose_name=_("subject line"))
    body = bounded_text_field(NOTIFICATION_BODY_MAX_LENGTH, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # in-app: when the user marked it read

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="notification_subject"),
            # The account's list (newest first) and the header's unread count, per user.
            models.Index(fields=["user", "-id"], condition=Q(channel="in_app"), name="notification_inbox"),
            models.Index(
                fields=["user"], condition=Q(channel="in_app", read_at__isnull=True), name="notification_unread"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(dedupe_key=""), name="notification_dedupe_key_not_empty"),
            models.UniqueConstraint(fields=["dedupe_key", "channel"], name="notification_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient}: {self.status}"
