"""The one error type for rules of the shop. Pages show `message`; the API renders it as JSON."""

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

# A database that does not answer (a restart, a failover) is a moment's outage, not a bug: pages
# and the API answer 503 with Retry-After (common/views.py, common/api/exceptions.py).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = _("The shop is unavailable for a moment. Try again in a few seconds.")


def bad_request_answer(exc: SuspiciousOperation) -> tuple[int, dict[str, Any]]:
    """The status and error body for a request Django refuses to read (pages and API alike).

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 `request_too_large`; too many fields or files,
    or any other request Django finds suspicious, a 400 `bad_request` (with `fields`, like every
    400). The message names the limit, never the request's content.
    """
    if isinstance(exc, RequestDataTooBig):
        limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        message = _("The request body is larger than the %(limit)d KB the shop reads.") % {"limit": limit_kb}
        return 413, {"code": "request_too_large", "message": str(message)}
    message = str(_("The request could not be read: send fewer fields, or a well-formed body."))
    return 400, {"code": "bad_request", "message": message, "fields": {"non_field_errors": [message]}}


class DomainError(Exception):
    code: str = "error"
    http_status: int = 400
    default_message: Any = _("That could not be done.")

    def __init__(self, message: Any = None, *, extra: dict[str, Any] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.extra = extra or {}
        super().__init__(str(self.message))


class NotFoundError(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You are not allowed to do that.")


class InvalidTransitionError(DomainError):
    code = "invalid_transition"
    http_status = 409
    default_message = _("That change of status is not allowed.")


class IdempotencyKeyReuseError(DomainError):
    code = "idempotency_key_reused"
    http_status = 422
    default_message = _("This Idempotency-Key was already used with a different request.")
