"""Demo data for `manage.py seed_demo`: paid orders over the last five days, so the home page's
popular products and the staff console have something to show.

The orders are placed through `order_place` (stock, wallet and ledgers stay right) by a few demo
buyers with funded wallets, then back-dated; the demo customer gets one small order and keeps
most of their wallet. Past days are rolled up into `ProductDailySales`. Idempotent: the orders
are placed once (their idempotency keys mark them); the rollup is rerun every time.

Before the orders, staff-style pricing: shipping rules (free over a threshold in the US, a flat
rate in the UK, per kilogram everywhere else) and tax rates (Illinois sales tax, UK VAT, German
VAT), so the cart and checkout pages show shipping and tax. Created once, by name.

After the orders, the staff console's queues: two cancellations of shipped orders (one waiting
for staff, one approved and refunded) and two issues with delivered orders (one open, one
resolved with store credit), made through the same services as the pages and the admin. Each is
made once: its note or description (`DEMO_CANCELLATIONS`, `DEMO_ISSUES`) marks it, so a rerun,
or a run on a database seeded before these existed, adds only what is missing.
"""

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Address, Customer, Seller, User
from catalog.models import ProductStatus, ProductVariant, VariantStatus
from common.exceptions import DomainError
from payments.models import RefundDestination, Wallet
from payments.services import wallet_charge

from .models import (
    CancellationReason,
    DeliveryStatus,
    IssueType,
    IssueUrgency,
    Order,
    OrderCancellation,
    OrderHistory,
    OrderIssue,
    OrderItem,
    OrderNotification,
    OrderSnapshot,
    OrderState,
    OrderTracking,
    ProductSaleStat,
    ShippingCarrier,
    ShippingRule,
    TaxRate,
)
from .services import (
    cancellation_approve,
    cancellation_request,
    issue_assign,
    issue_report,
    issue_resolve,
    order_cancel,
    order_place,
    order_transition,
    sales_rollup,
    shipment_create,
    shipment_delivery_record,
)

DEMO_CUSTOMER_EMAIL = "customer@example.com"
ADMIN_EMAIL = "admin@example.com"
BUYER_EMAILS = [f"demo-buyer-{n}@example.com" for n in range(1, 5)]
KEY_PREFIX = "demo-seed-"
DAYS = 5
ORDERS_PER_DAY = 6


def _buyers() -> list[User]:
    """Demo buyers who cannot sign in (no usable password), each with a funded wallet."""
    buyers = []
    for email in BUYER_EMAILS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, first_name="Demo", last_name="Buyer")
            Customer.objects.get_or_create(user=user)
        if not Address.objects.filter(user=user).exists():
            Address.objects.create(
                user=user,
                recipient_name="Demo Buyer",
                street_address="2 Demo Street",
                city="Springfield",
                state="IL",
                postal_code="62701",
                country="US",
                is_primary=True,
            )
        buyers.append(user)
    return buyers


def _top_up(user: User) -> None:
    """Keep a demo buyer able to afford three of the dearest items."""
    balance = Wallet.objects.filter(user=user).values_list("balance", flat=True).first() or Decimal(0)
    if balance < Decimal("2500.00"):
        wallet_charge(user=user, amount="5000.00", reference="Demo top-up")


def _sellable_variant_ids() -> list[int]:
    return list(
        ProductVariant.objects.filter(
            status=VariantStatus.ACTIVE,
            product__status=ProductStatus.ACTIVE,
            product__deleted_at__isnull=True,
            inventory_items__available_quantity__gte=10,
        )
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )


# Carriers a demo seller can choose (the tracking sites are on reserved .example domains).
DEMO_CARRIERS = [
    ("ParcelCo", "parcelco", "https://parcelco.example/track/{tracking_number}"),
    ("Swift Post", "swift-post", "https://swiftpost.example/t?n={tracking_number}"),
    ("Green Freight", "green-freight", "https://greenfreight.example/parcels/{tracking_number}"),
]


def _carriers() -> list[ShippingCarrier]:
    carriers = []
    for name, code, template in DEMO_CARRIERS:
        carrier, _created = ShippingCarrier.objects.get_or_create(
            code=code, defaults={"name": name, "tracking_url_template": template}
        )
        carriers.append(carrier)
    return carriers


def _ship(order: Order, carrier: ShippingCarrier, n: int) -> list[OrderTracking]:
    """Each seller of the order ships their lines, as they would from the seller center."""
    sellers = Seller.objects.filter(order_items__order=order).select_related("user").distinct().order_by("pk")
    return [
        shipment_create(
            seller=seller,
            order_id=order.pk,
            carrier_id=carrier.pk,
            tracking_number=f"DEMO{order.pk:05d}{seller.pk:03d}",
            actor=seller.user,
            estimated_delivery_at=timezone.now() + dt.timedelta(days=2 + n % 3),
        )
        for seller in sellers
    ]


def _back_date(order: Order, days_ago: int) -> None:
    if days_ago == 0:
        return
    shift = dt.timedelta(days=days_ago)
    OrderTracking.objects.filter(order=order).update(
        created_at=F("created_at") - shift,
        shipped_at=F("shipped_at") - shift,
        delivered_at=F("delivered_at") - shift,
        estimated_delivery_at=F("estimated_delivery_at") - shift,
    )
    OrderSnapshot.objects.filter(order=order).update(created_at=F("created_at") - shift)
    Order.objects.filter(pk=order.pk).update(created_at=F("created_at") - shift, paid_at=F("paid_at") - shift)
    OrderItem.objects.filter(order=order).update(created_at=F("created_at") - shift)
    OrderHistory.objects.filter(order=order).update(created_at=F("created_at") - shift)
    assert order.paid_at is not None
    ProductSaleStat.objects.filter(order_item__order=order).update(date=(order.paid_at - shift).date())


def _place(user: User, variant_ids: list[int], rng: random.Random, key: str) -> Order | None:
    lines = [{"variant_id": v, "quantity": rng.randint(1, 3)} for v in variant_ids]
    try:
        return order_place(user=user, lines=lines, idempotency_key=key).order
    except DomainError:
        return None  # out of stock or similar: the demo simply has one order less


@transaction.atomic
def _place_orders(stdout: Any) -> int:
    variant_ids = _sellable_variant_ids()
    if not variant_ids:
        stdout.write("orders: no products in stock yet, no demo orders placed")
        return 0
    rng = random.Random(20261123)  # noqa: S311 - the same demo every time; nothing secret
    # A few products sell more than the others, so "popular" has a clear top.
    favourites = variant_ids[: min(8, len(variant_ids))]
    buyers = _buyers()
    admin = User.objects.filter(email=ADMIN_EMAIL).first() or buyers[0]
    placed: list[tuple[Order, int]] = []
    n = 0
    for days_ago in range(DAYS - 1, -1, -1):
        for _ in range(ORDERS_PER_DAY):
            pool = favourites if rng.random() < 0.6 else variant_ids
            chosen = sorted(set(rng.sample(pool, k=min(rng.randint(1, 2), len(pool)))))
            buyer = buyers[n % len(buyers)]
            _top_up(buyer)
            order = _place(buyer, chosen, rng, f"{KEY_PREFIX}{n}")
            n += 1
            if order is not None:
                placed.append((order, days_ago))

    # Older orders have moved along: the oldest shipped (with tracking) and delivered, the next
    # shipped, the next being processed; one was cancelled (the timeline shows it).
    steps = {2: [OrderState.PROCESSING]}
    carriers = _carriers()
    for n, (order, days_ago) in enumerate(placed):
        if days_ago >= 3:  # shipped by their sellers with tracking; the oldest delivered too
            shipments = _ship(order, carriers[n % len(carriers)], n)
            if days_ago == 4:
                for shipment in shipments:
                    shipment_delivery_record(shipment_id=shipment.pk, actor=admin, signature="Demo")
            continue
        for to in steps.get(days_ago, []):
            order_transition(order_id=order.pk, to=to, actor=admin, reason="Demo")
    if placed:
        order_cancel(order_id=placed[-1][0].pk, user=placed[-1][0].customer, reason="Demo: changed my mind")

    customer = User.objects.filter(email=DEMO_CUSTOMER_EMAIL).first()
    if customer is not None:
        cheapest = (
            ProductVariant.objects.filter(pk__in=variant_ids, price__gt=0, price__lte=Decimal("40.00"))
            .order_by("price", "id")
            .values_list("pk", flat=True)
            .first()
        )
        balance = Wallet.objects.filter(user=customer).values_list("balance", flat=True).first() or Decimal(0)
        if cheapest is not None and balance >= Decimal("100.00"):
            try:
                order = order_place(
                    user=customer, lines=[{"variant_id": cheapest, "quantity": 1}], idempotency_key=f"{KEY_PREFIX}me"
                ).order
                placed.append((order, 1))
            except DomainError:
                pass

    # Back-dated last, so each order's whole timeline moves with it.
    for order, days_ago in placed:
        _back_date(order, days_ago)

    _mark_demo_notifications_sent()
    return len(placed)


def _mark_demo_notifications_sent() -> None:
    """Demo orders need no e-mails: mark them sent, so the after-commit sends find nothing to do."""
    OrderNotification.objects.filter(order__idempotency_key__startswith=KEY_PREFIX).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now()
    )


# (notes that mark it, reason, approved by staff?): cancellations of shipped demo orders
DEMO_CANCELLATIONS = [
    ("Demo: it takes too long, please cancel.", CancellationReason.TOO_SLOW, False),
    ("Demo: I ordered the wrong size.", CancellationReason.ORDERED_BY_MISTAKE, True),
]
# (description that marks it, type, urgency, resolution notes or "" to leave it open): issues
# with delivered demo orders
DEMO_ISSUES = [
    ("Demo: the box arrived dented and one corner is cracked.", IssueType.DAMAGED, IssueUrgency.HIGH, ""),
    (
        "Demo: one item was missing from the parcel.",
        IssueType.MISSING_ITEM,
        IssueUrgency.MEDIUM,
        "Demo: the seller confirmed it was left behind; store credit given for the wait.",
    ),
]
DEMO_ISSUE_COMPENSATION = Decimal("5.00")


def _demo_orders(status: OrderState) -> QuerySet[Order]:
    return Order.objects.filter(idempotency_key__startswith=KEY_PREFIX, status__in=[status]).order_by("pk")


@transaction.atomic
def _cancellations_and_issues(stdout: Any) -> None:
    staff = (
        User.objects.filter(email=ADMIN_EMAIL, is_staff=True).first()
        or User.objects.filter(is_staff=True).order_by("pk").first()
    )
    made = 0
    for notes, reason, approve in DEMO_CANCELLATIONS:
        if OrderCancellation.objects.filter(notes=notes).exists() or (approve and staff is None):
            continue
        order = _demo_orders(OrderState.SHIPPED).filter(cancellations__isnull=True).first()
        if order is None:
            break
        try:
            outcome = cancellation_request(order_id=order.pk, user=order.customer, reason=reason, notes=notes)
            if approve:
                assert staff is not None
                cancellation_approve(cancellation_id=outcome.cancellation.pk, actor=staff, note="Demo: approved.")
        except DomainError as exc:
            stdout.write(f"orders: demo cancellation of {order} refused: {exc.message}")
            continue
        made += 1
    for description, issue_type, urgency, resolution in DEMO_ISSUES:
        if OrderIssue.objects.filter(description=description).exists() or (resolution and staff is None):
            continue
        order = _demo_orders(OrderState.DELIVERED).filter(issues__isnull=True).first()
        if order is None:
            break
        try:
            issue = issue_report(
                order_id=order.pk, user=order.customer, issue_type=issue_type, description=description, urgency=urgency
            )
            if resolution:
                assert staff is not None
                issue_assign(issue_id=issue.pk, actor=staff)
                issue_resolve(
                    issue_id=issue.pk,
                    actor=staff,
                    resolution_notes=resolution,
                    compensation=DEMO_ISSUE_COMPENSATION,
                    destination=RefundDestination.WALLET,
                )
        except DomainError as exc:
            stdout.write(f"orders: demo issue with {order} refused: {exc.message}")
            continue
        made += 1
    _mark_demo_notifications_sent()
    stdout.write(
        f"orders: {made} demo cancellations and issues added"
        if made
        else "orders: demo cancellations and issues already there"
    )


# name, country ("" is everywhere else), flat rate, per kg, free over
DEMO_SHIPPING_RULES = [
    ("Standard delivery (US)", "US", "4.95", "0.50", "50.00"),
    ("Royal Mail (UK)", "GB", "3.95", "0.00", "40.00"),
    ("International", "", "14.90", "2.00", None),
]
# name, country, region ("" is the whole country), rate in percent
DEMO_TAX_RATES = [
    ("Sales tax", "US", "IL", "6.250"),
    ("VAT", "GB", "", "20.000"),
    ("MwSt", "DE", "", "19.000"),
]


def _pricing_rules(stdout: Any) -> None:
    made = 0
    for name, country, flat_rate, per_kg, free_over in DEMO_SHIPPING_RULES:
        if not ShippingRule.objects.filter(country=country, is_active=True).exists():
            ShippingRule.objects.create(
                name=name,
                country=country,
                flat_rate=Decimal(flat_rate),
                per_kg=Decimal(per_kg),
                free_over=Decimal(free_over) if free_over else None,
            )
            made += 1
    for name, country, region, rate in DEMO_TAX_RATES:
        if not TaxRate.objects.filter(country=country, region__iexact=region, is_active=True).exists():
            TaxRate.objects.create(name=name, country=country, region=region, rate=Decimal(rate))
            made += 1
    stdout.write(
        f"orders: {made} shipping rules and tax rates added" if made else "orders: pricing rules already there"
    )


def seed(stdout: Any) -> None:
    _pricing_rules(stdout)
    _carriers()
    if Order.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists():
        stdout.write("orders: demo orders already there")
    else:
        count = _place_orders(stdout)
        if count:
            stdout.write(f"orders: {count} demo orders placed over the last {DAYS} days")
    _cancellations_and_issues(stdout)
    today = timezone.now().date()
    rolled = {day: sales_rollup(day=day) for day in (today - dt.timedelta(days=n) for n in range(DAYS, 0, -1))}
    stdout.write(
        "orders: daily sales rolled up: " + ", ".join(f"{day.isoformat()} ({count})" for day, count in rolled.items())
    )
