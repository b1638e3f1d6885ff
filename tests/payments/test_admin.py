from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.models import EntryType, Payment, Wallet, WalletEntry
from payments.services import payment_refund, wallet_charge
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import UserFactory

from .helpers import balance_of, ledger_sum, order_for, paid_from_wallet

pytestmark = pytest.mark.django_db

MODELS = ["wallet", "walletentry", "payment", "paymenttransaction", "refund"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _pay(user):
    wallet_charge(user=user, amount="100.00")
    order = order_for(user, "40.00")
    payment = paid_from_wallet(user, order.pk, "40.00")
    payment_refund(payment_id=payment.pk, amount=Decimal("5.00"), reason="scratch", actor=None, reference="r")
    return payment


@pytest.fixture
def paid(user):
    return _pay(user)


@pytest.mark.parametrize("model", MODELS)
def test_changelists_and_change_pages_load_read_only(staff_client, paid, model):
    changelist = reverse(f"admin:payments_{model}_changelist")
    staff_client.get(changelist)  # the first request of a session does its own bookkeeping
    before = _queries(staff_client, changelist)
    for _ in range(3):
        _pay(UserFactory())
    assert _queries(staff_client, changelist) == before  # no query per row (list_select_related)
    obj = {
        "wallet": Wallet.objects.first(),
        "walletentry": WalletEntry.objects.first(),
        "payment": paid,
        "paymenttransaction": paid.transactions.first(),
        "refund": paid.refunds.first(),
    }[model]
    response = staff_client.get(reverse(f"admin:payments_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content  # view only
    assert staff_client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
    assert_admin_cannot_delete(staff_client, obj)


def test_wallet_change_page_shows_the_ledger_inline(staff_client, user, paid):
    wallet = Wallet.objects.get(user=user)
    html = staff_client.get(reverse("admin:payments_wallet_change", args=[wallet.pk])).content.decode()
    assert "Wallet entries" in html and "100.00" in html and "60.00" in html


def test_wallet_search_by_email(staff_client, user, other_user):
    wallet_charge(user=user, amount="1.00")
    wallet_charge(user=other_user, amount="1.00")
    response = staff_client.get(reverse("admin:payments_wallet_changelist"), {"q": user.email})
    assert response.context["cl"].result_count == 1


def test_payment_change_page_has_transactions_and_refunds(staff_client, paid):
    html = staff_client.get(reverse("admin:payments_payment_change", args=[paid.pk])).content.decode()
    assert "Paid from wallet" in html and "scratch" in html


def test_credit_action_asks_for_an_amount_first(staff_client, user):
    wallet = Wallet.objects.get(pk=wallet_charge(user=user, amount="1.00").wallet_id)
    response = staff_client.post(
        reverse("admin:payments_wallet_changelist"), {"action": "credit_wallets", ACTION_CHECKBOX_NAME: [wallet.pk]}
    )
    assert response.status_code == 200
    assert b"Credit wallets" in response.content and user.email.encode() in response.content
    assert WalletEntry.objects.count() == 1


def test_credit_action_charges_each_wallet_through_the_ledger(staff_client, superuser, user, other_user):
    wallets = [wallet_charge(user=u, amount="1.00").wallet_id for u in (user, other_user)]

    response = staff_client.post(
        reverse("admin:payments_wallet_changelist"),
        {
            "action": "credit_wallets",
            ACTION_CHECKBOX_NAME: wallets,
            "apply": "1",
            "amount": "25.00",
            "note": "Goodwill",
        },
    )

    assert response.status_code == 302
    assert "Credited 25.00 to 2 wallets." in [str(m) for m in get_messages(response.wsgi_request)]
    for u in (user, other_user):
        assert balance_of(u) == Decimal("26.00") == ledger_sum(u)
        entry = WalletEntry.objects.filter(wallet__user=u).first()
        assert entry.entry_type == EntryType.CHARGE
        assert entry.reference == f"Staff credit #{superuser.pk}: Goodwill"


def test_credit_action_with_a_bad_amount_shows_the_error_and_writes_nothing(staff_client, user):
    wallet_id = wallet_charge(user=user, amount="1.00").wallet_id
    response = staff_client.post(
        reverse("admin:payments_wallet_changelist"),
        {"action": "credit_wallets", ACTION_CHECKBOX_NAME: [wallet_id], "apply": "1", "amount": "-3"},
    )
    assert response.status_code == 200
    assert b"The amount must be more than zero." in response.content
    assert WalletEntry.objects.count() == 1


def test_balances_cannot_be_edited(staff_client, user):
    wallet = Wallet.objects.get(pk=wallet_charge(user=user, amount="5.00").wallet_id)
    response = staff_client.post(
        reverse("admin:payments_wallet_change", args=[wallet.pk]), {"balance": "1000000.00", "currency": "USD"}
    )
    assert response.status_code == 403
    assert balance_of(user) == Decimal("5.00")
    assert not Payment.objects.exists()
