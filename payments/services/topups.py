"""Money into a wallet: top-ups paid by card, and credits staff make in admin.

A paid top-up is a card payment (`Payment`, purpose `wallet_topup`) that credits the wallet when
it is captured, by one `WalletEntry` pointing at the payment: the entry's one-to-one link to the
payment makes a second credit for one payment impossible, however often the capture is told.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..exceptions import CreditReasonRequiredError
from ..logs import payment_log
from ..models import EntryType, WalletEntry
from . import _move, parse_charge_amount, wallet_for

STAFF_CREDIT_SOURCE = "staff_credit"


def _credit(
    *,
    user: User,
    amount: Decimal,
    reference: str,
    payment_id: int | None = None,
    created_by: User | None = None,
    note: str = "",
) -> WalletEntry:
    """Add `amount` to the user's wallet (made on first use), in the caller's transaction."""
    entry: dict[str, Any] = {"payment_id": payment_id, "created_by": created_by, "note": note}
    moved = _move(user=user, entry_type=EntryType.CHARGE, amount=amount, reference=reference, **entry)
    if moved is None:  # the first money in: the wallet did not exist yet
        wallet_for(user=user)
        moved = _move(user=user, entry_type=EntryType.CHARGE, amount=amount, reference=reference, **entry)
    assert moved is not None
    return moved


def wallet_staff_credit(
    *, user: User, amount: object, actor: User, reason: str, ip_address: str | None = None, user_agent: str = ""
) -> WalletEntry:
    """A staff member credits a customer's wallet without a payment (goodwill, a correction): the
    ledger entry names them and the reason, and the payment log keeps it for audit.

    Raises InvalidAmountError, CreditReasonRequiredError.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CreditReasonRequiredError()
    value = parse_charge_amount(amount)
    with transaction.atomic():
        entry = _credit(
            user=user,
            amount=value,
            reference=f"Staff credit #{actor.pk}: {reason}",
            created_by=actor,
            note=reason,
        )
        payment_log(
            _("Staff credit of %(amount)s to %(email)s's wallet") % {"amount": value, "email": user.email},
            source=STAFF_CREDIT_SOURCE,
            initiated_by=actor,
            details={"user": user.pk, "amount": str(value), "reason": reason, "wallet_entry": entry.pk},
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return entry
