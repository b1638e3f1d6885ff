"""The wallet behind the gateway interface: authorize = debit (idempotent by key), refund = credit."""

from decimal import Decimal

import pytest

from payments.gateways import GatewayError, ResultStatus, WebhookSignatureError, gateway_for
from payments.gateways.wallet import wallet_token
from payments.models import EntryType, WalletEntry
from payments.services import wallet_charge
from tests.factories.accounts import UserFactory

from .helpers import balance_of, ledger_sum

pytestmark = pytest.mark.django_db


def _authorize(user, amount: str, key: str):
    return gateway_for("wallet").authorize(
        token=wallet_token(user),
        amount=Decimal(amount),
        currency="USD",
        idempotency_key=key,
        return_url="",
        metadata={},
    )


def test_authorize_debits_once_per_key_and_is_captured_at_once():
    user = UserFactory()
    wallet_charge(user=user, amount="30.00")
    first = _authorize(user, "20.00", "payment:1:authorize")
    again = _authorize(user, "20.00", "payment:1:authorize")

    assert first.status is ResultStatus.CAPTURED and again == first
    assert balance_of(user) == Decimal("10.00") == ledger_sum(user)
    assert WalletEntry.objects.filter(entry_type=EntryType.USE).count() == 1
    assert (
        gateway_for("wallet").capture(reference=first.reference, amount=Decimal("20.00"), idempotency_key="c") == first
    )
    assert gateway_for("wallet").retrieve(reference=first.reference).status is ResultStatus.CAPTURED


def test_a_short_wallet_declines_and_changes_nothing():
    user = UserFactory()
    wallet_charge(user=user, amount="5.00")
    result = _authorize(user, "20.00", "payment:2:authorize")
    assert (result.status, result.code) == (ResultStatus.DECLINED, "insufficient_funds")
    assert balance_of(user) == Decimal("5.00")


def test_refund_credits_once_per_key_and_void_is_refused():
    user = UserFactory()
    wallet_charge(user=user, amount="30.00")
    paid = _authorize(user, "30.00", "payment:3:authorize")
    wallet = gateway_for("wallet")
    first = wallet.refund(reference=paid.reference, amount=Decimal("12.00"), idempotency_key="refund:1")
    again = wallet.refund(reference=paid.reference, amount=Decimal("12.00"), idempotency_key="refund:1")
    assert first.status is ResultStatus.REFUNDED and again == first
    assert balance_of(user) == Decimal("12.00") == ledger_sum(user)
    with pytest.raises(GatewayError):
        wallet.void(reference=paid.reference, idempotency_key="void")
    with pytest.raises(WebhookSignatureError):
        wallet.verify_webhook(body=b"{}", headers={})


@pytest.mark.parametrize("token", ["wallet:999999", "card:1", "wallet:x", ""])
def test_a_token_that_is_not_a_users_wallet_is_refused(token):
    with pytest.raises(GatewayError):
        gateway_for("wallet").authorize(
            token=token, amount=Decimal("1.00"), currency="USD", idempotency_key="k", return_url="", metadata={}
        )
