"""Error pages that never show a traceback; under /api/ they are JSON in the API's error shape."""

import sys

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from common.exceptions import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, bad_request_answer
from common.http import is_api_request


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's answer to a request it will not read: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413),
    # too many fields, a broken multipart body (400). The shop's page, or JSON under /api/.
    if isinstance(exception, SuspiciousOperation):
        status, body = bad_request_answer(exception)
    else:  # django.core.exceptions.BadRequest
        message = str(_("The request could not be read."))
        status, body = 400, {"code": "bad_request", "message": message, "fields": {"non_field_errors": [message]}}
    if is_api_request(request):
        return JsonResponse(body, status=status)
    return render(request, "400.html", {"message": body["message"], "status": status}, status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # A path no API route matches (`orders/abc/`) is answered like a missing object, in JSON.
    if is_api_request(request):
        return JsonResponse({"code": "not_found", "message": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    # Django calls this while handling the exception: a database that does not answer is not a
    # bug of ours but a moment's outage, and says so (503 with Retry-After) so clients retry.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return _unavailable(request)
    if is_api_request(request):
        message = _("Something went wrong on our side; nothing was changed. Try again.")
        return JsonResponse({"code": "server_error", "message": message}, status=500)
    return render(request, "500.html", status=500)


def _unavailable(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if is_api_request(request):
        response = JsonResponse({"code": "unavailable", "message": str(UNAVAILABLE_MESSAGE)}, status=503)
    else:
        response = render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
