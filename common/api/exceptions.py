"""Render every API error in one shape.

- a domain rule: ``{"code", "message", "extra"}`` with the error's status;
- invalid input: ``{"code": "validation_error", "message", "fields": {...}}`` (400);
- anything DRF raises (401, 403, 404, 405, 429…): ``{"code", "message"}``; a 400 (a body
  that is not JSON) also has ``fields``, like every other 400.
A database that does not answer is a 503 with Retry-After (`unavailable`); other unexpected
exceptions are logged and become a plain 500 without a traceback.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.exceptions import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, DomainError

logger = logging.getLogger(__name__)


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": str(exc.message), "extra": exc.extra}
        return Response(body, status=exc.http_status)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = {
            "code": "validation_error",
            "message": _("Some fields are not valid."),
            "fields": _flatten(detail),
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.APIException):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.error("The database did not answer: %s", exc)
        return Response(
            {"code": "unavailable", "message": str(UNAVAILABLE_MESSAGE)},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    response = exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.exception("Unhandled API error in %s", view.__class__.__name__ if view else "?", exc_info=exc)
        return Response(
            {"code": "server_error", "message": _("Something went wrong on our side; nothing was changed. Try again.")},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = {"code": code, "message": _flatten(exc.detail)}
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            # A body that is not JSON at all (`parse_error`) is input that is not valid too: every
            # 400 has the one documented shape, with `fields`.
            response.data["fields"] = {"non_field_errors": [response.data["message"]]}
    return response
