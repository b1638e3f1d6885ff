"""The shop wallet as a gateway: the same interface as a card processor, over the wallet services.

Paying from the wallet authorizes and captures at once (a debit); a refund is a wallet credit.
Checkout's wallet path keeps calling the wallet services directly (it is the fast path, pinned by
its statement count); this class lets code written against `Gateway` treat the wallet like any
other method. The wallet sends no webhooks.

Its token is `wallet:<user id>`; every call is idempotent by its key (one ledger row per key).
"""

from decimal import Decimal

from django.db import transaction

from accounts.models import User

from ..models import EntryType, WalletEntry
from .base import Gateway, GatewayError, GatewayResult, ResultStatus, WebhookMessage, WebhookSignatureError

DECLINED_MESSAGE = "Your wallet balance is not enough for this payment."


def wallet_token(user: User) -> str:
    return f"wallet:{user.pk}"


class WalletGateway(Gateway):
    code = "wallet"

    def authorize(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, return_url: str, metadata: dict
    ) -> GatewayResult:
        from ..services import _locked_wallet, _move

        user = _user_of(token)
        order_id = metadata.get("order_id")
        with transaction.atomic():
            wallet = _locked_wallet(user)  # serializes calls with the same key
            if (earlier := _entry(idempotency_key, wallet_id=wallet.pk)) is not None:
                return _captured(earlier)
            entry = _move(
                user=user,
                entry_type=EntryType.USE,
                amount=amount,
                reference=f"payment {metadata.get('payment_id', '')}".strip(),
                order_id=order_id,
                idempotency_key=idempotency_key,
            )
        if entry is None:
            return GatewayResult(
                ResultStatus.DECLINED, f"wal_declined_{idempotency_key}", "", "insufficient_funds", DECLINED_MESSAGE
            )
        return _captured(entry)

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        # Authorizing took the money already: the capture is the debit's own answer.
        return _captured(_entry_of(reference))

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        raise GatewayError("a wallet payment is taken at once: refund it instead")

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        from ..services import _locked_wallet, _move

        debit = _entry_of(reference)
        user = debit.wallet.user
        with transaction.atomic():
            wallet = _locked_wallet(user)
            if (earlier := _entry(idempotency_key, wallet_id=wallet.pk)) is None:
                earlier = _move(
                    user=user,
                    entry_type=EntryType.REFUND,
                    amount=amount,
                    reference=f"refund of {reference}",
                    order_id=debit.order_id,
                    idempotency_key=idempotency_key,
                )
        assert earlier is not None  # the wallet is locked above, so it exists
        return GatewayResult(ResultStatus.REFUNDED, f"wal_{earlier.pk}", reference, "refunded", "Refunded to wallet")

    def retrieve(self, *, reference: str) -> GatewayResult:
        return _captured(_entry_of(reference))

    def verify_webhook(self, *, body: bytes, headers: dict[str, str]) -> WebhookMessage:
        raise WebhookSignatureError("the wallet sends no webhooks")


def _user_of(token: str) -> User:
    prefix, _sep, user_id = token.partition(":")
    user = User.objects.filter(pk=int(user_id)).first() if prefix == "wallet" and user_id.isdigit() else None
    if user is None:
        raise GatewayError("not a wallet token")
    return user


def _entry(key: str, *, wallet_id: int) -> WalletEntry | None:
    return WalletEntry.objects.filter(wallet_id=wallet_id, idempotency_key=key).first()


def _entry_of(reference: str) -> WalletEntry:
    prefix, _sep, entry_id = reference.partition(":")
    entry = (
        WalletEntry.objects.select_related("wallet__user").filter(pk=int(entry_id), entry_type=EntryType.USE).first()
        if prefix == "wallet" and entry_id.isdigit()
        else None
    )
    if entry is None:
        raise GatewayError("no such wallet payment")
    return entry


def _captured(entry: WalletEntry) -> GatewayResult:
    return GatewayResult(
        ResultStatus.CAPTURED,
        f"wal_{entry.pk}",
        f"wallet:{entry.pk}",
        "captured",
        "Paid from wallet",
        raw={"amount": str(entry.amount)},
    )
