"""Error answers: a database that does not answer is a 503 to retry, anything else a plain 500;
neither shows a traceback."""

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from common.views import server_error


def answer_while_handling(exception: Exception, path: str):
    request = RequestFactory().get(path)
    try:
        raise exception
    except Exception:  # noqa: BLE001 - Django calls handler500 inside its own except block
        return server_error(request)


@pytest.mark.parametrize("exception", [OperationalError("connection refused"), InterfaceError("closed")])
def test_a_database_outage_is_a_503_to_retry(exception):
    page = answer_while_handling(exception, "/products/")
    api = answer_while_handling(exception, "/api/v1/orders/")

    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert "Back in a moment" in page.content.decode() and "connection refused" not in page.content.decode()
    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert json.loads(api.content)["code"] == "unavailable"


def test_any_other_error_is_a_500_without_details():
    page = answer_while_handling(ValueError("secret detail"), "/products/")
    api = answer_while_handling(ValueError("secret detail"), "/api/v1/orders/")

    assert page.status_code == 500 and "secret detail" not in page.content.decode()
    assert api.status_code == 500 and json.loads(api.content)["code"] == "server_error"
    assert not page.has_header("Retry-After")


def test_the_api_answers_a_database_outage_with_503_too():
    from common.api.exceptions import api_exception_handler

    response = api_exception_handler(OperationalError("server closed the connection"), {"view": None})

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response.data["code"] == "unavailable" and "closed" not in response.data["message"]
