"""The `Idempotency-Key` header rule shared by the order and wallet top-up endpoints."""

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from common.api.idempotency import IDEMPOTENCY_HEADER, idempotency_key_from, idempotency_parameter


def _request(**headers):
    return Request(RequestFactory().post("/", headers=headers))


def test_no_header_is_no_key():
    assert idempotency_key_from(_request()) is None


@pytest.mark.parametrize("key", ["a", "topup-1", "3f2b9c1e-7d4a-4e8b-9a6f-0c1d2e3f4a5b", "x" * 255, "a_b.c:d"])
def test_a_good_key_is_returned(key):
    assert idempotency_key_from(_request(**{IDEMPOTENCY_HEADER: key})) == key


def test_surrounding_spaces_are_removed():
    assert idempotency_key_from(_request(**{IDEMPOTENCY_HEADER: "  key-1 "})) == "key-1"


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "has space", "ключ", "a/b"])
def test_a_bad_key_is_a_validation_error_naming_the_header(key):
    with pytest.raises(ValidationError) as raised:
        idempotency_key_from(_request(**{IDEMPOTENCY_HEADER: key}))
    assert list(raised.value.detail) == [IDEMPOTENCY_HEADER]


def test_the_parameter_states_the_rule_then_the_endpoint_s_own_words():
    parameter = idempotency_parameter("A replay returns the first answer.")
    assert parameter.name == IDEMPOTENCY_HEADER and parameter.location == "header" and not parameter.required
    assert parameter.description == (
        "Up to 255 letters, digits and `-_.:` (a UUID is ideal). A replay returns the first answer."
    )
