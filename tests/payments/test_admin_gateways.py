"""The card engine's staff console: gateway keys are write-only (encrypted at rest, shown only as
"set" / "not set", kept when left empty), the settings are checked, and payments, processor calls,
webhooks, the payment log and the sandbox ledger are read-only lists with a constant query count."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from payments.models import (
    LogLevel,
    Payment,
    PaymentGateway,
    PaymentLog,
    PaymentStatus,
    PaymentTransaction,
    SandboxOperation,
    WebhookEvent,
)
from payments.secrets import secret_decrypt, secret_encrypt
from payments.services.card import card_payment_run
from payments.services.webhooks import webhook_receive
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import UserFactory

from .cards import OK, RETURN_URL, THREE_DS, card_payment, sandbox_event, signed

pytestmark = pytest.mark.django_db

API_KEY = "sk_live_plain_API_key_4f1c9e"
SECRET_KEY = "sk_live_plain_SECRET_7d2a01"
WEBHOOK_SECRET = "whsec_plain_WEBHOOK_93b8e5"

ADD = reverse("admin:payments_paymentgateway_add")
CHANGELIST = reverse("admin:payments_paymentgateway_changelist")


def _form(**overrides) -> dict[str, str]:
    data = {
        "code": "wallet",
        "name": "Shop wallet",
        "status": "active",
        "supported_currencies": "USD, eur",
        "supported_methods": "wallet",
        "fee_rate": "0.0290",
        "webhook_url": "",
        "new_api_key": "",
        "new_secret_key": "",
        "new_webhook_secret": "",
    }
    return {**data, **overrides}


def _change_url(gateway: PaymentGateway) -> str:
    return reverse("admin:payments_paymentgateway_change", args=[gateway.pk])


@pytest.fixture
def gateway(staff_client) -> PaymentGateway:
    """A gateway saved through the admin with all three keys."""
    response = staff_client.post(
        ADD, _form(new_api_key=API_KEY, new_secret_key=SECRET_KEY, new_webhook_secret=WEBHOOK_SECRET)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return PaymentGateway.objects.get(code="wallet")


def _columns(gateway: PaymentGateway) -> tuple[str, str, str]:
    gateway.refresh_from_db()
    return gateway.api_key_encrypted, gateway.secret_key_encrypted, gateway.webhook_secret_encrypted


def test_saved_keys_are_stored_encrypted_and_decrypt_back(gateway, superuser):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM payments_paymentgateway WHERE id = %s", [gateway.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    for plain in (API_KEY, SECRET_KEY, WEBHOOK_SECRET):
        assert plain not in row
    assert [secret_decrypt(token) for token in _columns(gateway)] == [API_KEY, SECRET_KEY, WEBHOOK_SECRET]
    assert gateway.configured_by == superuser
    assert (gateway.supported_currencies, gateway.supported_methods) == (["USD", "EUR"], ["wallet"])
    assert gateway.fee_rate == Decimal("0.0290")


def test_the_change_page_and_the_list_never_show_a_key(staff_client, gateway):
    tokens = _columns(gateway)
    change = staff_client.get(_change_url(gateway))
    listing = staff_client.get(CHANGELIST)

    for response in (change, listing):
        assert response.status_code == 200
        html = response.content.decode()
        for secret in (API_KEY, SECRET_KEY, WEBHOOK_SECRET, *tokens):
            assert secret not in html
    change_html = change.content.decode()
    for name in ("new_api_key", "new_secret_key", "new_webhook_secret"):
        (field,) = re.findall(rf'<input type="password" name="{name}"[^>]*>', change_html)
        assert "value=" not in field and 'autocomplete="new-password"' in field
    assert "not set" not in listing.content.decode() and listing.content.decode().count(">set<") == 3


def test_a_key_is_not_set_until_one_is_typed(staff_client):
    staff_client.post(ADD, _form(new_webhook_secret=WEBHOOK_SECRET))
    html = staff_client.get(CHANGELIST).content.decode()
    assert html.count(">not set<") == 2 and html.count(">set<") == 1


def test_empty_inputs_keep_the_keys(staff_client, gateway):
    before = _columns(gateway)

    response = staff_client.post(_change_url(gateway), _form(name="Wallet (renamed)"))

    assert response.status_code == 302
    assert _columns(gateway) == before
    assert gateway.name == "Wallet (renamed)"


def test_a_new_key_replaces_only_its_own(staff_client, gateway):
    api, _secret, webhook = _columns(gateway)

    staff_client.post(_change_url(gateway), _form(new_secret_key="sk_rotated_0001"))

    new_api, new_secret, new_webhook = _columns(gateway)
    assert (new_api, new_webhook) == (api, webhook)
    assert secret_decrypt(new_secret) == "sk_rotated_0001"


def test_a_key_typed_into_a_refused_form_is_not_shown_back(staff_client, gateway):
    response = staff_client.post(_change_url(gateway), _form(supported_currencies="US", new_api_key="sk_typed_99"))

    assert response.status_code == 200
    assert "sk_typed_99" not in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("supported_currencies", "USD, EURO", "Not a three-letter currency code: EURO."),
        ("supported_currencies", "US$", "Not a three-letter currency code: US$."),
        ("supported_methods", "card, cheque", "Unknown payment method: cheque."),
        ("fee_rate", "1", "A fraction from 0 up to (not including) 1"),
        ("fee_rate", "-0.01", "A fraction from 0 up to (not including) 1"),
        ("code", "stripe", "Unknown gateway code."),
    ],
)
def test_invalid_settings_are_refused_with_a_form_error(staff_client, field, value, message):
    response = staff_client.post(ADD, _form(**{field: value}, new_api_key=API_KEY))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["adminform"].form.errors
    assert not PaymentGateway.objects.exists()


def test_the_code_is_fixed_once_saved_and_gateways_are_not_deleted(staff_client, gateway):
    staff_client.post(_change_url(gateway), _form(code="sandbox"))
    gateway.refresh_from_db()
    assert gateway.code == "wallet"
    assert_admin_cannot_delete(staff_client, gateway)


# --- read-only lists ------------------------------------------------------------------------------


def _captured_card_payment() -> Payment:
    """A card payment the sandbox authorized and captured: calls, log rows, the sandbox ledger."""
    payment = card_payment(UserFactory(), OK, amount="25.00")
    return card_payment_run(payment_id=payment.pk, return_url=RETURN_URL)


def _webhook_applied() -> WebhookEvent:
    """A payment waiting for 3-D Secure, then the processor's signed "failed" event about it."""
    payment = card_payment_run(payment_id=card_payment(UserFactory(), THREE_DS).pk, return_url=RETURN_URL)
    body = sandbox_event("payment.failed", payment.gateway_reference, amount="50.00", code="x", message="Refused.")
    return webhook_receive(gateway_code="sandbox", body=body, headers=signed(body), ip_address="203.0.113.9")


def _rows() -> None:
    _captured_card_payment()
    _webhook_applied()


READ_ONLY = {
    "payment": lambda: Payment.objects.order_by("pk").first(),
    "paymenttransaction": lambda: PaymentTransaction.objects.order_by("pk").first(),
    "webhookevent": lambda: WebhookEvent.objects.order_by("pk").first(),
    "paymentlog": lambda: PaymentLog.objects.order_by("pk").first(),
    "sandboxoperation": lambda: SandboxOperation.objects.order_by("pk").first(),
}


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", [*READ_ONLY, "paymentgateway"])
def test_lists_take_as_many_queries_for_one_row_as_for_five(staff_client, model):
    changelist = reverse(f"admin:payments_{model}_changelist")
    _rows()
    staff_client.get(changelist)  # the session's first request does its own bookkeeping
    one = _queries(staff_client, changelist)
    for _ in range(4):
        _rows()
    assert _queries(staff_client, changelist) == one


@pytest.mark.parametrize("model", READ_ONLY)
def test_pages_are_read_only(staff_client, model):
    _rows()
    _rows()
    obj = READ_ONLY[model]()
    change = reverse(f"admin:payments_{model}_change", args=[obj.pk])

    assert staff_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    response = staff_client.get(change)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert staff_client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
    assert staff_client.post(change, {}).status_code == 403
    assert_admin_cannot_delete(staff_client, obj)


def test_a_payment_page_links_its_order_and_customer_and_lists_its_calls_and_log(staff_client):
    payment = _captured_card_payment()
    html = staff_client.get(reverse("admin:payments_payment_change", args=[payment.pk])).content.decode()

    assert reverse("admin:orders_order_change", args=[payment.order_id]) in html
    assert reverse("admin:accounts_user_change", args=[payment.user_id]) in html
    assert payment.gateway_reference in html
    assert "Processor calls" in html and "Payment logs" in html
    for call in payment.transactions.all():
        assert call.transaction_id in html
    assert payment.logs.exists() and escape(payment.logs.first().message) in html
    assert "4242424242424242" not in html


def test_payments_are_found_by_id_reference_and_email(staff_client):
    first, second = _captured_card_payment(), _captured_card_payment()
    changelist = reverse("admin:payments_payment_changelist")

    def found(term: str) -> list[int]:
        return [row.pk for row in staff_client.get(changelist, {"q": term}).context["cl"].result_list]

    assert found(str(second.pk)) == [second.pk]
    assert found(first.gateway_reference) == [first.pk]
    assert found(first.user.email) == [first.pk]
    assert found("nobody@example.invalid") == []


def test_payments_filter_by_status_purpose_and_gateway(staff_client):
    captured = _captured_card_payment()
    failed = _webhook_applied().payment
    changelist = reverse("admin:payments_payment_changelist")

    def listed(**query: str) -> set[int]:
        return {row.pk for row in staff_client.get(changelist, query).context["cl"].result_list}

    assert listed(status=PaymentStatus.FAILED) == {failed.pk}
    assert listed(purpose="order", method="card") == {captured.pk, failed.pk}
    assert listed(gateway__id__exact=str(captured.gateway_id)) == {captured.pk, failed.pk}


def test_the_log_filters_by_level_and_source_and_shows_details_as_json(staff_client):
    _webhook_applied()
    log = PaymentLog.objects.create(
        message="Forged webhook", source="webhook", level=LogLevel.WARNING, details={"reason": "bad signature"}
    )
    changelist = reverse("admin:payments_paymentlog_changelist")

    listed = staff_client.get(changelist, {"level": "warning", "source": "webhook"}).context["cl"].result_list
    assert log in listed and all(row.level == "warning" and row.source == "webhook" for row in listed)
    html = staff_client.get(reverse("admin:payments_paymentlog_change", args=[log.pk])).content.decode()
    assert "<pre>{\n  &quot;reason&quot;: &quot;bad signature&quot;\n}</pre>" in html


def test_the_sandbox_secret_a_gateway_row_holds_is_not_shown_either(staff_client):
    _captured_card_payment()
    sandbox = PaymentGateway.objects.get(code="sandbox")
    plain = secret_decrypt(sandbox.webhook_secret_encrypted)
    assert plain and sandbox.webhook_secret_encrypted != secret_encrypt(plain)  # a fresh token each time

    for url in (CHANGELIST, _change_url(sandbox)):
        html = staff_client.get(url).content.decode()
        assert plain not in html and sandbox.webhook_secret_encrypted not in html
