"""The `Idempotency-Key` header rule shared by the order and wallet top-up endpoints, and the one way
services clean a key, fingerprint a request and replay (common.idempotency)."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from common.api.idempotency import IDEMPOTENCY_HEADER, idempotency_key_from, idempotency_parameter
from common.exceptions import IdempotencyKeyReuseError
from common.idempotency import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    idempotency_key_clean,
    idempotent_replay,
    request_fingerprint,
)


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


# --- what services do with a key: common.idempotency --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [(None, None), ("", None), ("   ", None), (" key-1 ", "key-1"), ("x" * 300, "x" * IDEMPOTENCY_KEY_MAX_LENGTH)],
)
def test_a_key_is_cleaned_one_way(raw, stored):
    assert idempotency_key_clean(raw) == stored


def test_a_fingerprint_is_the_operation_and_its_fields_in_any_order():
    assert request_fingerprint("order_place", lines=[[1, 2]], coupon=None) == request_fingerprint(
        "order_place", coupon=None, lines=[[1, 2]]
    )
    different = {
        request_fingerprint("order_place", lines=[[1, 2]], coupon=None),
        request_fingerprint("order_place", lines=[[1, 2]], coupon=7),
        request_fingerprint("order_place", lines=[[1, 3]], coupon=None),
        request_fingerprint("another_write", lines=[[1, 2]], coupon=None),
    }
    assert len(different) == 4
    assert request_fingerprint("wallet_charge", amount=Decimal("25.00")) == request_fingerprint(
        "wallet_charge", amount="25.00"
    )


@dataclass
class _Row:
    request_fingerprint: str


def test_a_replay_is_the_earlier_row_for_the_same_request_and_422_for_another():
    row = _Row(request_fingerprint="abc")

    assert idempotent_replay(None, fingerprint="abc") is None
    assert idempotent_replay(row, fingerprint="abc") is row
    with pytest.raises(IdempotencyKeyReuseError) as refused:
        idempotent_replay(row, fingerprint="abd")
    assert refused.value.http_status == 422
