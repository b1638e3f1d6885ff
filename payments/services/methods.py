"""A customer's saved payment methods: the card gateway's tokens, never a card number.

Every write of one customer's methods first locks that customer's row (a per-customer mutex),
then the method rows it changes, so "at most one default" holds without retries, also for the
very first card (when there is no method row to lock yet). The partial unique constraint
`payment_method_one_default_per_user` is the backstop; `payment_method_token_once_per_gateway`
makes a token good for one saved method, ever.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exceptions import FieldError
from accounts.models import User

from ..exceptions import CardExpiredError, CardTokenInvalidError, CardTokenUsedError, PaymentMethodNotFoundError
from ..gateways.base import CardDetails, GatewayError, gateway_for
from ..logs import CARD_NUMBER, payment_log
from ..models import PaymentMethod, PaymentMethodStatus, PaymentMethodType

SOURCE = "payment_methods"
CARD_NUMBER_IN_BILLING = gettext_lazy("Do not type a card number here.")
TOKEN_ONCE_CONSTRAINT = "payment_method_token_once_per_gateway"  # noqa: S105 - a constraint name

# What a customer may say about a card besides its token, in the order forms show them.
BILLING_FIELDS = (
    "billing_name",
    "billing_line1",
    "billing_line2",
    "billing_city",
    "billing_region",
    "billing_postal_code",
    "billing_country",
)


def _lock_customer(user: User) -> None:
    """The customer's row, locked until commit: their method writes run one at a time.

    FOR NO KEY UPDATE: it does not wait for (nor block) rows being inserted that point at the
    customer (orders, payments), which take only a key-share lock on it.
    """
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True).first()


def _owned_for_update(*, user: User, method_id: int) -> PaymentMethod:
    """The customer's saved (not removed) method, locked; another customer's is not found."""
    method = (
        PaymentMethod.objects.select_for_update()
        .filter(user=user, pk=method_id)
        .exclude(status=PaymentMethodStatus.INACTIVE)
        .first()
    )
    if method is None:
        raise PaymentMethodNotFoundError()
    return method


def _card_details_ok(card: CardDetails) -> bool:
    return (
        bool(card.brand)
        and len(card.last4) == 4
        and card.last4.isdigit()
        and (card.exp_month is None or 1 <= card.exp_month <= 12)
    )


def _constraint_name(exc: IntegrityError) -> str:
    """The name of the violated constraint, as PostgreSQL reports it ("" when unknown)."""
    return str(getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or "")


def _billing(billing: Mapping[str, object] | None) -> dict[str, str]:
    unknown = set(billing or {}).difference(BILLING_FIELDS)
    if unknown:  # a programming error: forms and serializers pass only these
        raise ValueError(f"not billing fields: {sorted(unknown)}")
    cleaned = {name: str(value or "").strip() for name, value in (billing or {}).items()}
    if "billing_country" in cleaned:
        cleaned["billing_country"] = cleaned["billing_country"].upper()
    return cleaned


def billing_fields_with_a_card_number(values: Mapping[str, object]) -> list[str]:
    """The billing fields whose text looks like a card number (the form asks this too)."""
    return [name for name in BILLING_FIELDS if CARD_NUMBER.search(str(values.get(name) or ""))]


def _billing_check(method: PaymentMethod) -> None:
    """The model's rules (lengths, the country code), and no card number typed into an address
    line by mistake: it would be kept, and shown back, as typed. Raises FieldError."""
    errors: dict[str, list[str]] = {}
    try:
        method.clean_fields(exclude=[f.name for f in PaymentMethod._meta.fields if f.name not in BILLING_FIELDS])
    except ValidationError as exc:
        errors = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    for name in billing_fields_with_a_card_number({name: getattr(method, name) for name in BILLING_FIELDS}):
        errors.setdefault(name, []).append(str(CARD_NUMBER_IN_BILLING))
    if errors:
        raise FieldError(fields=errors)


def payment_method_add(
    *,
    user: User,
    token: str,
    billing: Mapping[str, object] | None = None,
    make_default: bool = False,
    ip_address: str | None = None,
    user_agent: str = "",
) -> PaymentMethod:
    """Save a card the card gateway tokenised, with what the gateway says it is (brand, last four
    digits, expiry) and the customer's billing address.

    The customer's first card (or one asked to be) becomes their default; so does a new card when
    the default one has expired. A token is good for one saved method: saving it again (by anyone)
    is refused. Raises CardTokenInvalidError, CardTokenUsedError, CardExpiredError, FieldError
    (billing fields).
    """
    gateway = gateway_for(settings.PAYMENT_CARD_GATEWAY)
    token = str(token or "").strip()
    if not token or len(token) > PaymentMethod._meta.get_field("token").max_length:  # type: ignore[operator]
        raise CardTokenInvalidError()
    try:
        card = gateway.card_details(token=token)
    except GatewayError:
        raise CardTokenInvalidError() from None
    if not _card_details_ok(card):  # what the gateway said does not make a card
        raise CardTokenInvalidError()
    method = PaymentMethod(
        user=user,
        gateway=gateway.record,
        method_type=PaymentMethodType.CARD,
        token=token,
        brand=card.brand[:32],
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        **_billing(billing),
    )
    _billing_check(method)
    if method.is_expired:
        raise CardExpiredError()
    with transaction.atomic():
        _lock_customer(user)
        if PaymentMethod.objects.filter(gateway=gateway.record, token=token).exists():
            raise CardTokenUsedError()
        default = (
            PaymentMethod.objects.select_for_update()
            .filter(user=user, status=PaymentMethodStatus.ACTIVE, is_default=True)
            .first()
        )
        if make_default or default is None or default.is_expired:
            if default is not None:
                # The constraint is not deferrable: the old default steps down first.
                default.is_default = False
                default.save(update_fields=["is_default", "updated_at"])
            method.is_default = True
        try:
            with transaction.atomic():  # a savepoint: another customer saved this token this instant
                method.save()
        except IntegrityError as exc:
            if _constraint_name(exc) == TOKEN_ONCE_CONSTRAINT:
                raise CardTokenUsedError() from None
            raise
        payment_log(
            f"Saved {method}",
            source=SOURCE,
            initiated_by=user,
            details={"payment_method": method.pk, "brand": method.brand, "last4": method.last4},
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return method


def payment_method_remove(
    *, user: User, method_id: int, ip_address: str | None = None, user_agent: str = ""
) -> PaymentMethod | None:
    """Remove a saved method (it stays, inactive, for the payments made with it).

    When it was the default, the newest other card that can still pay becomes the default; that
    card is returned (None otherwise). Raises PaymentMethodNotFoundError.
    """
    with transaction.atomic():
        _lock_customer(user)
        method = _owned_for_update(user=user, method_id=method_id)
        was_default = method.is_default
        method.status = PaymentMethodStatus.INACTIVE
        method.is_default = False
        method.save(update_fields=["status", "is_default", "updated_at"])
        successor = None
        if was_default:
            others = (
                PaymentMethod.objects.select_for_update()
                .filter(user=user, status=PaymentMethodStatus.ACTIVE)
                .order_by("-id")
            )
            successor = next((other for other in others if not other.is_expired), None)
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default", "updated_at"])
        payment_log(
            f"Removed {method}",
            source=SOURCE,
            initiated_by=user,
            details={"payment_method": method.pk, "new_default": successor.pk if successor else None},
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return successor


def payment_method_make_default(
    *, user: User, method_id: int, ip_address: str | None = None, user_agent: str = ""
) -> PaymentMethod:
    """Make this saved card the default; the previous default steps down in the same transaction.

    Raises PaymentMethodNotFoundError, CardExpiredError.
    """
    with transaction.atomic():
        _lock_customer(user)
        method = _owned_for_update(user=user, method_id=method_id)
        if method.is_default:
            return method
        if method.is_expired:
            raise CardExpiredError(_("An expired card cannot be your default card."))
        PaymentMethod.objects.filter(user=user, status=PaymentMethodStatus.ACTIVE, is_default=True).update(
            is_default=False, updated_at=timezone.now()
        )
        method.is_default = True
        method.save(update_fields=["is_default", "updated_at"])
        payment_log(
            f"{method} is the default",
            source=SOURCE,
            initiated_by=user,
            details={"payment_method": method.pk},
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return method
