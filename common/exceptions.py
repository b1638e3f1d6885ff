"""The one error type for rules of the shop. Pages show `message`; the API renders it as JSON."""

from typing import Any

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

# A database that does not answer (a restart, a failover) is a moment's outage, not a bug: pages
# and the API answer 503 with Retry-After (common/views.py, common/api/exceptions.py).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = _("The shop is unavailable for a moment. Try again in a few seconds.")


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
