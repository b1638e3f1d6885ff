"""Abandoned carts: finding them, the recovery e-mails, the signed restore link, and the order that
recovers one.

`carts_abandoned_detect` (the beat task, every 15 minutes) does three things, each safe to run
twice, or twice at once:

1. **Record.** An active cart with at least one item, untouched (`Cart.updated_at`) for longer than
   `CART_ABANDONED_AFTER_MINUTES` and not recorded yet, gets its `AbandonedCart` row and an
   `abandoned` snapshot. Each cart is taken under its row lock (`FOR UPDATE SKIP LOCKED`: a cart
   another worker, or its owner, holds right now waits for the next run) and the seed's unique key
   (one row per cart) backs it up: two workers record a cart once, snapshot it once, e-mail once.
2. **Close.** An open abandonment whose cart is no longer worth a reminder becomes `closed`: the
   cart left the active state (merged, saved, deleted, or checked out while this code was not
   there to say `converted`), it has no item left, its owner changed it since (`updated_at` after
   `abandoned_at`: they came back by themselves), or the customer placed any order since. An order
   placed *from* the cart marks it `converted` at once, in checkout's transaction
   (`abandoned_cart_order_placed`), so the task never sees those open.
3. **Remind.** A customer's open abandonment gets at most `CART_RECOVERY_EMAILS_MAX` e-mails: the
   first with the detection, each next one `CART_RECOVERY_EMAIL_SPACING_HOURS` after the last. An
   e-mail is claimed by a conditional UPDATE (`recovery_attempts` n-1 -> n) that also re-checks the
   cart, in the transaction that queues it (`cart:<id>:recovery:<n>`): two workers never send the
   same attempt twice, and a cart changed a moment ago gets none. When the e-mails have run out
   the abandonment stays open (silent): an order placed from that cart later is still recorded as
   `converted` with its value.

Which preference: recovery e-mails are `email_notifications` ("Email me optional updates about my
orders"), not `marketing_emails` ("offers and news"). A reminder lists the customer's own cart
and carries no offer or discount: an optional service message about an order they were placing,
refusable on the preferences page (linked from every reminder). A customer who turned it off gets
none, and is not counted as reminded (`recovery_attempts` counts e-mails actually queued). Should
a reminder ever carry a discount code, it becomes marketing and must move to `marketing_emails`.

The estimate: `estimated_recovery_value` = the cart's value at today's prices x the shop's
recovery rate over the last `RECOVERY_RATE_DAYS` days (recovered or converted / all recorded);
with no abandonment in that window, `DEFAULT_RECOVERY_RATE` (10%, a common figure for recovery
e-mails) until the shop has its own history.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User, UserPreferences
from common.exceptions import DomainError, NotFoundError
from common.money import ZERO, money
from common.outbox import notification_queue
from inventory.models import InventoryItem

from .models import (
    AbandonedCart,
    AbandonedCartStatus,
    Cart,
    CartItem,
    CartSnapshot,
    CartStatus,
    SnapshotType,
)
from .selectors import active_carts
from .services import cart_add_item, cart_snapshot_take

if TYPE_CHECKING:
    from orders.models import Order

logger = logging.getLogger(__name__)

# The recovery e-mail's kind (carts/notifications.py) and the preference that lets a customer refuse it.
RECOVERY_EMAIL_KIND = "cart_recovery"
RECOVERY_EMAIL_PREFERENCE = "email_notifications"
# The recovery rate behind `estimated_recovery_value`: over this many days, this much without history.
RECOVERY_RATE_DAYS = 90
DEFAULT_RECOVERY_RATE = Decimal("0.10")
# Carts recorded per run at most (oldest first): a backlog is worked off over the next runs.
DETECT_BATCH = 500
RECOVERY_LINK_SALT = "carts.abandonment.recovery-link"

_REACHED = [AbandonedCartStatus.RECOVERED, AbandonedCartStatus.CONVERTED]


def _detectable(cutoff: dt.datetime) -> QuerySet[Cart]:
    """Active, non-deleted carts idle since before `cutoff`, holding a live item, not recorded yet."""
    return (
        Cart.objects.filter(status=CartStatus.ACTIVE, updated_at__lt=cutoff)
        .filter(Exists(CartItem.objects.filter(cart=OuterRef("pk"))))
        .filter(~Exists(AbandonedCart.objects.filter(cart=OuterRef("pk"))))
    )


def _cart_as_left() -> QuerySet[Cart]:
    """For an `AbandonedCart` query: its cart, still active, holding an item, unchanged since."""
    return Cart.objects.filter(
        pk=OuterRef("cart_id"), status=CartStatus.ACTIVE, updated_at__lte=OuterRef("abandoned_at")
    ).filter(Exists(CartItem.objects.filter(cart=OuterRef("pk"))))


def _ordered_since() -> QuerySet["Order"]:
    """For an `AbandonedCart` query: an order its customer placed after the abandonment. (By name:
    orders depends on carts, not the other way round; DESIGN.md's import order.)"""
    order_model = apps.get_model("orders", "Order")
    return order_model.objects.filter(customer=OuterRef("customer_id"), created_at__gt=OuterRef("abandoned_at"))


def recovery_rate(*, now: dt.datetime | None = None) -> Decimal:
    """Recovered or converted / all abandonments of the last RECOVERY_RATE_DAYS days (one query);
    DEFAULT_RECOVERY_RATE when there are none."""
    since = (now or timezone.now()) - dt.timedelta(days=RECOVERY_RATE_DAYS)
    figures = AbandonedCart.objects.filter(abandoned_at__gte=since).aggregate(
        total=Count("pk"), reached=Count("pk", filter=Q(status__in=_REACHED))
    )
    if not figures["total"]:
        return DEFAULT_RECOVERY_RATE
    return Decimal(figures["reached"]) / Decimal(figures["total"])


def carts_abandoned_detect() -> dict[str, int]:
    """The beat task's work (see the module docstring): how many carts were recorded as abandoned,
    how many recovery e-mails were queued, how many abandonments were closed."""
    now = timezone.now()
    abandoned = _record_abandoned(now=now)
    closed = _close_stale()
    emails = _queue_recovery_emails(now=now)
    if abandoned or closed or emails:
        logger.info("Abandoned carts: %d recorded, %d closed, %d recovery e-mails queued", abandoned, closed, emails)
    return {"abandoned": abandoned, "emails": emails, "closed": closed}


def _record_abandoned(*, now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(minutes=settings.CART_ABANDONED_AFTER_MINUTES)
    cart_ids = list(_detectable(cutoff).order_by("updated_at", "pk").values_list("pk", flat=True)[:DETECT_BATCH])
    if not cart_ids:
        return 0
    rate = recovery_rate(now=now)
    recorded = 0
    for cart_id in cart_ids:
        try:
            with transaction.atomic():
                # The cart row first (the carts' lock order), checked again under the lock: its
                # owner may have touched it, or another worker recorded it, since the scan.
                cart = _detectable(cutoff).select_for_update(skip_locked=True).filter(pk=cart_id).first()
                if cart is None:
                    continue
                snapshot = cart_snapshot_take(cart=cart, snapshot_type=SnapshotType.ABANDONED)
                abandonment = AbandonedCart.objects.create(
                    cart=cart,
                    customer_id=cart.customer_id,
                    abandoned_at=now,
                    item_count=snapshot.item_count,
                    conversion_value=snapshot.total_amount,
                    estimated_recovery_value=money(snapshot.total_amount * rate),
                    currency=cart.currency,
                    exit_page=cart.exit_page,
                    device_type=cart.device_type,
                    referral_source=cart.referral_source,
                )
        except IntegrityError:
            continue  # recorded by another worker after all: the unique key held, nothing was written here
        recorded += 1
        logger.debug("Cart %s abandoned (%s)", cart_id, abandonment.pk)
    return recorded


def _close_stale() -> int:
    """Open abandonments nothing more should be done for become closed (one UPDATE).

    `status = open` is a condition on the row itself, so an order converting it at the same moment
    wins: PostgreSQL re-checks it on the row that order wrote."""
    return (
        AbandonedCart.objects.filter(status=AbandonedCartStatus.OPEN)
        .filter(Q(~Exists(_cart_as_left())) | Q(Exists(_ordered_since())))
        .update(status=AbandonedCartStatus.CLOSED)
    )


def _wants_recovery_email(customer: User) -> bool:
    preferences = getattr(customer, "preferences", None)
    if preferences is None:  # no row yet: the defaults, as a new row would hold them
        preferences = UserPreferences()
    return bool(getattr(preferences, RECOVERY_EMAIL_PREFERENCE))


def _queue_recovery_emails(*, now: dt.datetime) -> int:
    spacing = dt.timedelta(hours=settings.CART_RECOVERY_EMAIL_SPACING_HOURS)
    owed = (
        AbandonedCart.objects.filter(
            status=AbandonedCartStatus.OPEN,
            customer__isnull=False,
            customer__is_active=True,
            recovery_attempts__lt=settings.CART_RECOVERY_EMAILS_MAX,
        )
        .filter(Q(recovery_attempts=0) | Q(last_recovery_attempt_at__lte=now - spacing))
        .select_related("customer__preferences")
        .order_by("pk")
    )
    queued = 0
    for abandonment in owed:
        customer = abandonment.customer
        assert customer is not None
        if not customer.email or not _wants_recovery_email(customer):
            continue  # not an attempt: nothing would be sent
        attempt = abandonment.recovery_attempts + 1
        with transaction.atomic():
            claimed = (
                AbandonedCart.objects.filter(
                    pk=abandonment.pk, status=AbandonedCartStatus.OPEN, recovery_attempts=attempt - 1
                )
                .filter(Exists(_cart_as_left()), ~Exists(_ordered_since()))
                .update(recovery_attempts=attempt, last_recovery_attempt_at=now)
            )
            if not claimed:
                continue  # another worker sent this attempt, or the cart moved on a moment ago
            notification_queue(
                kind=RECOVERY_EMAIL_KIND,
                user=customer,
                subject=abandonment,
                dedupe_key=f"cart:{abandonment.cart_id}:recovery:{attempt}",
                context={"abandoned_cart_id": abandonment.pk, "attempt": attempt},
            )
        queued += 1
    return queued


# --- the signed restore link ----------------------------------------------------------------------


def recovery_token_for(abandoned: AbandonedCart) -> str:
    """The signed, timestamped token of a recovery link (only this shop's SECRET_KEY makes one)."""
    return signing.dumps({"abandoned_cart": abandoned.pk}, salt=RECOVERY_LINK_SALT, compress=False)


def recovery_link_for(abandoned: AbandonedCart) -> str:
    """The absolute restore link an e-mail carries; it works for CART_RECOVERY_LINK_DAYS days."""
    path = reverse("carts:recover", kwargs={"token": recovery_token_for(abandoned)})
    return f"{settings.SITE_URL}{path}"


class RecoveryLinkInvalidError(NotFoundError):
    code = "recovery_link_invalid"
    default_message = gettext_lazy("This link to your cart has expired or is not valid.")


def _abandonment_of_token(*, user: User, token: str) -> AbandonedCart:
    try:
        data = signing.loads(
            token, salt=RECOVERY_LINK_SALT, max_age=dt.timedelta(days=settings.CART_RECOVERY_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise RecoveryLinkInvalidError(
            _("This link to your cart has expired. Your cart may still be waiting for you.")
        ) from None
    except signing.BadSignature:
        raise RecoveryLinkInvalidError() from None
    abandoned_id = data.get("abandoned_cart") if isinstance(data, dict) else None
    if isinstance(abandoned_id, bool) or not isinstance(abandoned_id, int):
        raise RecoveryLinkInvalidError()
    # Another customer's link is "not found", whatever it says.
    abandoned = AbandonedCart.objects.filter(pk=abandoned_id, customer=user).first()
    if abandoned is None:
        raise RecoveryLinkInvalidError()
    return abandoned


@dataclass
class Recovery:
    """What following a recovery link did: the cart it shows, whether this click recovered the
    abandonment (False: it was followed before, or the cart was ordered), the lines it put back
    and those it could put back only in part or not at all."""

    cart: Cart | None
    recovered: bool
    restored: list[str] = field(default_factory=list)  # titles put back
    capped: list[tuple[str, int]] = field(default_factory=list)  # (title, quantity now in the cart)
    unavailable: list[str] = field(default_factory=list)  # titles that could not go back


def abandoned_cart_recovery(*, user: User, token: str) -> Recovery:
    """Follow a recovery link: the first time, mark the abandonment recovered and make sure the
    customer's active cart holds what they left; any later time, change nothing.

    Each line of the abandoned cart's `abandoned` snapshot is topped up in the customer's active
    cart to the quantity left then, capped by the stock available now, at today's prices (through
    `cart_add_item`; a new cart is made if there is none). If the abandoned cart is still the
    active cart as it was left, every line is there already: nothing is copied. If it was emptied,
    changed, merged or replaced, what is missing goes back.

    Raises RecoveryLinkInvalidError (a 404: forged, expired, or another customer's link).
    """
    abandoned = _abandonment_of_token(user=user, token=token)
    with transaction.atomic():
        # The customer's active cart row first (the carts' lock order), then the abandonment.
        active = active_carts(user=user).select_for_update().first()
        recovered = bool(
            AbandonedCart.objects.filter(
                pk=abandoned.pk, status__in=[AbandonedCartStatus.OPEN, AbandonedCartStatus.CLOSED]
            ).update(status=AbandonedCartStatus.RECOVERED, recovered_at=timezone.now())
        )
        result = Recovery(cart=active, recovered=recovered)
        if not recovered:
            return result
        _restore_lines(user=user, abandoned=abandoned, result=result)
        if result.restored:
            result.cart = active_carts(user=user).first()
    return result


def _restore_lines(*, user: User, abandoned: AbandonedCart, result: Recovery) -> None:
    snapshot = (
        CartSnapshot.objects.filter(cart_id=abandoned.cart_id, snapshot_type=SnapshotType.ABANDONED)
        .order_by("-created_at", "-pk")
        .first()
    )
    lines = (snapshot.snapshot_data or {}).get("lines", []) if snapshot is not None else []
    if not lines:
        return
    variant_ids = [line["variant_id"] for line in lines]
    have = dict(
        CartItem.objects.filter(cart__in=active_carts(user=user), variant_id__in=variant_ids).values_list(
            "variant_id", "quantity"
        )
    )
    available = dict(
        InventoryItem.objects.filter(variant_id__in=variant_ids)
        .values("variant_id")
        .annotate(units=Sum("available_quantity"))
        .values_list("variant_id", "units")
    )
    for line in lines:
        title = line.get("title", "")
        wanted = int(line["quantity"])
        target = min(wanted, max(int(available.get(line["variant_id"]) or 0), 0))
        missing = target - have.get(line["variant_id"], 0)
        if missing > 0:
            try:
                with transaction.atomic():
                    cart_add_item(user=user, variant_id=line["variant_id"], quantity=missing)
            except DomainError:
                result.unavailable.append(title)
                continue
            result.restored.append(title)
        if target == 0:
            result.unavailable.append(title)
        elif target < wanted:
            result.capped.append((title, max(target, have.get(line["variant_id"], 0))))


def abandoned_cart_recover(*, user: User, token: str) -> Cart | None:
    """The contract's name (carts/CARTS.md): follow a recovery link; the customer's active cart
    after it (None if they have none and nothing could be put back). See `abandoned_cart_recovery`."""
    return abandoned_cart_recovery(user=user, token=token).cart


def abandoned_cart_order_placed(*, cart: Cart, order: "Order") -> None:
    """Inside checkout's transaction, once the order is placed from `cart`: its abandonment, if it
    has one still open or recovered, is converted with the order and its total (`recovered_at`
    stays as it was). One UPDATE by the unique key; a cart never abandoned costs just that."""
    AbandonedCart.objects.filter(
        cart_id=cart.pk, status__in=[AbandonedCartStatus.OPEN, AbandonedCartStatus.RECOVERED]
    ).update(status=AbandonedCartStatus.CONVERTED, recovered_order=order, recovered_value=order.total_amount)


def recovery_email_context(abandoned: AbandonedCart) -> dict[str, object] | None:
    """What a recovery e-mail says, read when it is sent: the cart's lines and total at today's
    prices, the restore link and the preferences link; None when there is nothing to say any more
    (the abandonment is no longer open, or its cart moved on since)."""
    still = (
        AbandonedCart.objects.filter(pk=abandoned.pk, status=AbandonedCartStatus.OPEN)
        .filter(Exists(_cart_as_left()))
        .exists()
    )
    if not still:
        return None
    items = list(
        CartItem.objects.filter(cart_id=abandoned.cart_id)
        .select_related("variant__product")
        .order_by("created_at", "pk")
    )
    lines = [
        {
            "title": item.variant.product.title,
            "variant_name": item.variant.name,
            "quantity": item.quantity,
            "price": item.variant.price,
            "total": money(item.variant.price * item.quantity),
        }
        for item in items
    ]
    return {
        "abandoned": abandoned,
        "lines": lines,
        "total": money(sum((line["total"] for line in lines), ZERO)),
        "currency": abandoned.currency,
        "recovery_link": recovery_link_for(abandoned),
        "preferences_link": f"{settings.SITE_URL}{reverse('accounts:preferences')}",
        "link_days": settings.CART_RECOVERY_LINK_DAYS,
    }
