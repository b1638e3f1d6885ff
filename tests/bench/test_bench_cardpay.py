"""The cardpay scenario's fixture and invariants: what the load generator does, done once per
customer through the API (Celery eager: the sandbox's webhooks are applied in-process), then
`bench/invariants/cardpay.sql` must pass; and it must catch an order paid twice."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from bench import fixtures
from bench.management.commands.bench_data import Command as BenchData
from orders.models import Order
from payments.gateways import gateway_record
from payments.models import Payment, PaymentMethod, PaymentStatus, SandboxOperation
from payments.secrets import secret_decrypt

pytestmark = pytest.mark.django_db
INVARIANTS = Path(__file__).resolve().parents[2] / "bench" / "invariants" / "cardpay.sql"


@pytest.fixture
def card_fixture(tmp_path):
    call_command(
        BenchData(), products=4, customers=2, days=1, sellers=1, stock=10, tokens_out=tmp_path / "t.json",
        stdout=StringIO(),
    )  # fmt: skip
    return fixtures.card_pay(customers=4, three_ds_every=2, variants=2)


def _checkout(customer: dict[str, Any], variant_id: int, on_commit: Any) -> dict[str, Any]:
    """One turn of bench/locustfiles/cardpay.py: order by card, pay, approve at the bank if asked
    (`on_commit`: the processor's webhooks and the capture task, run by the bench's worker, run here
    after the pay and the approval commit)."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {customer['token']}")
    order = api.post(
        "/api/v1/orders/", {"items": [{"variant_id": variant_id, "quantity": 1}], "payment_method": "card"},
        format="json", HTTP_IDEMPOTENCY_KEY=f"order-{customer['id']}",
    )  # fmt: skip
    assert order.status_code == 201, order.content
    with on_commit(execute=True):  # the processor's webhooks
        paid = api.post(
            f"/api/v1/orders/{order.json()['id']}/pay/", {"payment_method_id": customer["method_id"]}, format="json",
            HTTP_IDEMPOTENCY_KEY=f"pay-{customer['id']}",
        )  # fmt: skip
    assert paid.status_code == 201, paid.content
    payment = paid.json()
    if customer["three_ds"]:
        assert payment["status"] == "action_required"
        page = api.get(payment["action_url"])
        assert page.status_code == 200 and b'value="approve"' in page.content
        with on_commit(execute=True):
            assert api.post(payment["action_url"], {"decision": "approve"}, format="multipart").status_code == 302
    else:
        assert payment["status"] == "captured"
    return {"order_id": order.json()["id"], "three_ds": customer["three_ds"]}


def _invariants(card_fixture: dict[str, Any], since: Any, done: list[dict[str, Any]]) -> dict[str, bool]:
    params = {
        "since": since,
        "customer_ids": [c["id"] for c in card_fixture["customers"]],
        "variant_ids": card_fixture["variant_ids"],
        "initial": card_fixture["initial"],
        "created_201": len(done),
        "captured_order_ids": [d["order_id"] for d in done if not d["three_ds"]],
        "confirmed_order_ids": [d["order_id"] for d in done if d["three_ds"]],
    }
    with connection.cursor() as cursor:
        cursor.execute(INVARIANTS.read_text(), params)
        return {check: bool(ok) for check, ok, _detail in cursor.fetchall()}


def test_fixture_customers_have_one_sandbox_card_every_second_asking_for_confirmation(card_fixture):
    customers = card_fixture["customers"]
    assert [c["three_ds"] for c in customers] == [False, True, False, True]
    methods = {m.user_id: m for m in PaymentMethod.objects.filter(user_id__in=[c["id"] for c in customers])}
    assert len(methods) == 4
    assert {methods[c["id"]].last4 for c in customers} == {"4242", "3184"}
    assert all(methods[c["id"]].pk == c["method_id"] and methods[c["id"]].is_default for c in customers)
    assert secret_decrypt(gateway_record("sandbox").webhook_secret_encrypted)  # webhooks can be signed
    json.dumps(card_fixture)  # handed to locust as JSON


def test_a_checkout_per_customer_passes_every_invariant(card_fixture, django_capture_on_commit_callbacks):
    since = timezone.now()
    done = [
        _checkout(c, card_fixture["variant_ids"][i % 2], django_capture_on_commit_callbacks)
        for i, c in enumerate(card_fixture["customers"])
    ]

    assert Order.objects.filter(pk__in=[d["order_id"] for d in done], status_id="paid").count() == 4
    checks = _invariants(card_fixture, since, done)
    assert len(checks) == 10 and all(checks.values()), checks


def test_the_invariants_catch_a_second_capture_and_a_payment_left_authorized(
    card_fixture, django_capture_on_commit_callbacks
):
    since = timezone.now()
    done = [
        _checkout(c, card_fixture["variant_ids"][0], django_capture_on_commit_callbacks)
        for c in card_fixture["customers"][:2]
    ]
    payment = Payment.objects.get(order_id=done[0]["order_id"])
    # The processor captured twice, and the shop's payment stayed authorized.
    SandboxOperation.objects.create(
        key="capture:again", operation="capture", reference=payment.gateway_reference, amount=payment.amount
    )
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.AUTHORIZED)
    checks = _invariants(card_fixture, since, done)

    failed = {check for check, ok in checks.items() if not ok}
    assert "the processor captured once per captured payment, never otherwise" in failed
    assert "no payment left authorized (not captured) after settling" in failed
    assert "every paid order: exactly one captured payment of its total" in failed
