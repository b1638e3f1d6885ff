"""A staff credit (admin "Credit selected wallets"): a required reason, the ledger entry names who
and why, and the payment log and the admin's history keep it."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from payments.exceptions import CreditReasonRequiredError, InvalidAmountError
from payments.models import EntryType, PaymentLog, Wallet, WalletEntry
from payments.services import wallet_charge
from payments.services.topups import wallet_staff_credit

from .helpers import balance_of, ledger_sum

pytestmark = pytest.mark.django_db


def test_a_staff_credit_names_who_and_why_and_is_logged(user, superuser):
    entry = wallet_staff_credit(
        user=user, amount="15.00", actor=superuser, reason=" Goodwill: late parcel ", ip_address="198.51.100.4"
    )

    assert (entry.entry_type, entry.amount, entry.created_by, entry.note) == (
        EntryType.CHARGE,
        Decimal("15.00"),
        superuser,
        "Goodwill: late parcel",
    )
    assert entry.reference == f"Staff credit #{superuser.pk}: Goodwill: late parcel"
    assert entry.payment is None
    assert balance_of(user) == Decimal("15.00") == ledger_sum(user)
    log = PaymentLog.objects.get()
    assert (log.source, log.initiated_by, log.ip_address) == ("staff_credit", superuser, "198.51.100.4")
    assert log.details == {
        "user": user.pk,
        "amount": "15.00",
        "reason": "Goodwill: late parcel",
        "wallet_entry": entry.pk,
    }


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_staff_credit_needs_a_reason(user, superuser, reason):
    with pytest.raises(CreditReasonRequiredError):
        wallet_staff_credit(user=user, amount="15.00", actor=superuser, reason=reason)
    assert not WalletEntry.objects.exists() and not PaymentLog.objects.exists()


def test_a_staff_credit_checks_the_amount(user, superuser):
    with pytest.raises(InvalidAmountError):
        wallet_staff_credit(user=user, amount="-1", actor=superuser, reason="oops")
    assert not WalletEntry.objects.exists() and not PaymentLog.objects.exists()


def _credit(client, wallets, **fields):
    return client.post(
        reverse("admin:payments_wallet_changelist"),
        {"action": "credit_wallets", ACTION_CHECKBOX_NAME: wallets, "apply": "1", **fields},
    )


def test_the_admin_action_asks_for_a_reason_and_writes_nothing_without_one(staff_client, user):
    wallet_id = wallet_charge(user=user, amount="1.00").wallet_id
    response = _credit(staff_client, [wallet_id], amount="25.00")
    assert response.status_code == 200
    assert b"Reason" in response.content and b"This field is required." in response.content
    assert WalletEntry.objects.count() == 1 and not PaymentLog.objects.exists()


def test_the_admin_action_records_the_entry_the_log_and_the_admin_history(staff_client, superuser, user):
    wallet = Wallet.objects.get(pk=wallet_charge(user=user, amount="1.00").wallet_id)

    response = _credit(staff_client, [wallet.pk], amount="25.00", note="Goodwill: late parcel")

    assert response.status_code == 302
    entry = WalletEntry.objects.filter(wallet=wallet).first()
    assert (entry.created_by, entry.note, entry.amount) == (superuser, "Goodwill: late parcel", Decimal("25.00"))
    assert PaymentLog.objects.get().initiated_by == superuser
    history = LogEntry.objects.get(object_id=str(wallet.pk))
    assert (history.user, history.action_flag) == (superuser, CHANGE)
    assert (
        "Credited 25.00 USD" in history.get_change_message() and "Goodwill: late parcel" in history.get_change_message()
    )


def test_the_ledger_entry_admin_shows_who_and_why(staff_client, superuser, user):
    entry = wallet_staff_credit(user=user, amount="5.00", actor=superuser, reason="Correction of order 7")
    html = staff_client.get(reverse("admin:payments_walletentry_change", args=[entry.pk])).content.decode()
    assert "Correction of order 7" in html and superuser.email in html
