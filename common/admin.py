"""Admin pieces the apps share."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from kombu.exceptions import KombuError

from .models import DeliveryStatus, Notification


class ReadOnlyAdminMixin:
    """View only: rows the services write (ledgers, stats, carts, lookups) are not edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Staff see every message the shop owes or sent, and how it went; "send now" re-queues."""

    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "sent_at",
        "read_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient", "dedupe_key", "title"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.action(description=_("Send selected pending or failed notifications now"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from .tasks import notification_send_task

        owed = list(
            queryset.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        left = queryset.exclude(pk__in=owed).values_list("status", flat=True)
        skipped = sum(1 for status in left if status == DeliveryStatus.SKIPPED)
        done = len(left) - skipped
        try:
            for notification_id in owed:
                notification_send_task.delay(notification_id)
        except KombuError:
            self.message_user(
                request,
                _("The task queue is not answering; pending notifications will be sent when it is back."),
                messages.ERROR,
            )
            return
        if owed:
            self.message_user(
                request,
                ngettext("%(count)d notification queued.", "%(count)d notifications queued.", len(owed))
                % {"count": len(owed)},
                messages.SUCCESS,
            )
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d was already sent and was left alone.",
                    "%(count)d were already sent and were left alone.",
                    done,
                )
                % {"count": done},
                messages.WARNING,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d is not to be sent (its last error says why) and was left alone.",
                    "%(count)d are not to be sent (their last error says why) and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


admin.site.register(Notification, NotificationAdmin)
