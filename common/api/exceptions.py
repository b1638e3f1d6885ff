"""Render every API error in one shape.

- a domain rule: ``{"code", "message", "extra"}`` with the error's status;
- invalid input: ``{"code": "validation_error", "message", "fields": {...}}`` (400);
- anything DRF or simplejwt raises (401, 403, 404, 405, 415, 429…): ``{"code", "message"}``, both
  strings (an invalid or expired token is `token_not_valid`); a 400 (a body that is not JSON) also
  has ``fields``, like every other 400. Headers DRF adds (Retry-After, WWW-Authenticate) are kept.
A body too big to read (over DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 `request_too_large`, and Django's
other refusals of a request (too many fields) a 400 `bad_request`, both in the same shape.
A database that does not answer is a 503 with Retry-After (`unavailable`); other unexpected
exceptions are logged and become a plain 500 without a traceback.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.exceptions import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGE,
    DomainError,
    bad_request_answer,
)

logger = logging.getLogger(__name__)


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _code_and_message(exc: exceptions.APIException) -> tuple[str, str]:
    """The one `code` and one sentence of an error DRF or simplejwt raised.

    DRF's carry a single message; simplejwt's (`InvalidToken`, an unknown user) carry a dict with
    `detail`, `code` and the token classes tried: its sentence and its code are kept
    (`token_not_valid`, on which clients refresh their token), the rest is dropped.
    """
    detail: Any = exc.detail
    code: Any = None
    if isinstance(detail, dict):
        code = detail.get("code")
        detail = detail.get("detail") or next(iter(detail.values()), None)
    while isinstance(detail, list):
        detail = detail[0] if detail else None
    if detail is None or isinstance(detail, dict):
        detail = exc.default_detail
    code = code or getattr(detail, "code", None) or exc.default_code
    return str(code), str(detail)


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
    if isinstance(exc, SuspiciousOperation):
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE (413), too many form fields or files, a broken
        # multipart body (400): refused before any of it is read as input.
        status_code, body = bad_request_answer(exc)
        return Response(body, status=status_code)
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
        code, message = _code_and_message(exc)
        response.data = {"code": code, "message": message}
        if response.status_code == status.HTTP_400_BAD_REQUEST:
            # A body that is not JSON at all (`parse_error`) is input that is not valid too: every
            # 400 has the one documented shape, with `fields`.
            response.data["fields"] = {"non_field_errors": [response.data["message"]]}
    return response
