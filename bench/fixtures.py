"""Fresh rows for each scenario of a run, made through the shop's own services.

Every run makes its own coupon, products and stock, so a scenario's invariants are exact
("exactly 100 issued", "sold = 200") however often the data set was reused before.
"""

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Address, Customer, Seller, User
from catalog.models import Category, Product, ProductStatus, ProductVariant
from inventory.services import stock_restock
from payments.gateways import gateway_record
from payments.gateways.sandbox import sandbox_tokenize
from payments.models import PaymentGateway, Wallet
from payments.secrets import secret_decrypt, secret_encrypt
from payments.services import wallet_charge
from payments.services.methods import payment_method_add
from promotions.models import Coupon, DiscountType, IssuedCoupon
from promotions.services import coupon_create

STAMP = time.strftime("%Y%m%d%H%M%S")


def customers(tokens_file: Path) -> list[dict[str, Any]]:
    return json.loads(tokens_file.read_text())["customers"]


def top_up(*, below: Decimal = Decimal("3000.00"), amount: str = "5000.00") -> int:
    """Bring every bench customer's wallet back up (earlier runs spent from it), through the ledger."""
    wallets = Wallet.objects.filter(user__email__startswith="bench-customer-", balance__lt=below).select_related("user")
    n = 0
    for wallet in wallets:
        wallet_charge(user=wallet.user, amount=amount, reference="bench top-up")
        n += 1
    return n


def _product(title: str, variants: list[tuple[str, Decimal, int]]) -> list[int]:
    """A product with variants (name, price, stock); returns the variant ids."""
    product = Product.objects.create(
        seller=Seller.objects.filter(business_registration_number__startswith="BENCH-").order_by("id").first(),
        category=Category.objects.filter(slug__startswith="bench-", children__isnull=True).order_by("id").first(),
        title=title,
        base_price=variants[0][1],
        status=ProductStatus.ACTIVE,
    )
    ids = []
    for i, (name, price, stock) in enumerate(variants):
        sku = f"{title[:20]}-{STAMP}-{i}"
        variant = ProductVariant.objects.create(product=product, sku=sku, name=name, price=price)
        stock_restock(variant_id=variant.pk, quantity=stock, reason="bench fixture")
        ids.append(variant.pk)
    return ids


def coupon_drop(*, quantity: int = 100) -> dict[str, Any]:
    coupon = coupon_create(
        name=f"Bench drop {STAMP}",
        code=f"DROP{STAMP}",
        discount_type=DiscountType.AMOUNT,
        discount_value=Decimal("5.00"),
        initial_quantity=quantity,
    )
    return {"coupon_id": coupon.pk, "coupon_quantity": quantity}


def wallet_storm(*, opening: str = "100.00") -> dict[str, Any]:
    """One fresh customer with `opening` in the wallet, and a 9.00 item with plenty of stock."""
    with transaction.atomic():
        user = User.objects.create_user(email=f"bench-wallet-{STAMP}@bench.example", password=None)
        Customer.objects.create(user=user)
        Address.objects.create(
            user=user,
            recipient_name="Bench",
            street_address="1 Bench Street",
            city="Springfield",
            postal_code="62701",
            country="US",
            is_primary=True,
        )
    wallet_charge(user=user, amount=opening, reference="bench opening")
    (variant_id,) = _product(f"Wallet item {STAMP}", [("One", Decimal("9.00"), 1_000_000)])
    token = AccessToken.for_user(user)
    return {"user_id": user.pk, "token": str(token), "variant_id": variant_id}


def hot_stock(*, hot: int = 200, baskets: int = 24, basket_stock: int = 100_000) -> dict[str, Any]:
    hot_ids = _product(f"Hot item {STAMP}", [("Hot", Decimal("25.00"), hot)])
    basket_ids = _product(
        f"Basket items {STAMP}",
        [(f"Option {i}", Decimal(5 + i), basket_stock) for i in range(baskets)],
    )
    return {
        "hot_variant_id": hot_ids[0],
        "hot_initial": hot,
        "basket_variant_ids": basket_ids,
        "basket_initial": basket_stock,
    }


def order_pay(*, holders: list[int], variants: int = 20) -> dict[str, Any]:
    """Variants with stock, one costing more than any wallet holds, and a coupon every holder has."""
    variant_ids = _product(
        f"Checkout items {STAMP}", [(f"Option {i}", Decimal(4 + i), 100_000) for i in range(variants)]
    )
    (expensive,) = _product(f"Expensive item {STAMP}", [("Gold", Decimal("9000.00"), 1_000)])
    with transaction.atomic():
        coupon = coupon_create(
            name=f"Bench checkout {STAMP}",
            code=f"SHOP{STAMP}",
            discount_type=DiscountType.AMOUNT,
            discount_value=Decimal("5.00"),
            initial_quantity=len(holders),
        )
        # Handed out directly (the claim race is the coupon scenario's): the count stays exact.
        issued = IssuedCoupon.objects.bulk_create(IssuedCoupon(coupon=coupon, user_id=uid) for uid in holders)
        Coupon.objects.filter(pk=coupon.pk).update(quantity=0)
    return {
        "variant_ids": variant_ids,
        "expensive_variant_id": expensive,
        "coupon_id": coupon.pk,
        "issued_coupon_ids": {str(i.user_id): i.pk for i in issued},  # what POST orders/ `coupon_id` names
        "discount": "5.00",
    }


# The sandbox's test cards the card checkout pays with (payments/gateways/sandbox.py).
CARD_OK = "4242 4242 4242 4242"
CARD_3DS = "4000 0027 6000 3184"  # asks the customer to confirm with the bank first


def card_pay(*, customers: int = 600, three_ds_every: int = 4, variants: int = 12) -> dict[str, Any]:
    """Fresh customers, each with one saved sandbox card (every `three_ds_every`-th the 3-D Secure
    card), an address, and an access token; and variants priced 10.00-21.00 with plenty of stock.

    Fresh every run: the fraud rules count a customer's card payments in the last hour, so
    customers reused from an earlier run would be held for review (the locustfile also pays at
    most `uses` times per customer). Prices stay within 1-3x of each other for the same reason
    (an amount far above the customer's usual is a rule too).
    """
    _sandbox_signing_secret()
    variant_ids = _product(f"Card items {STAMP}", [(f"Option {i}", Decimal(10 + i), 100_000) for i in range(variants)])
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(email=f"bench-card-{STAMP}-{i:04d}@bench.example", password="!", first_name="Bench", last_name="Card")
            for i in range(customers)
        )
        Customer.objects.bulk_create(Customer(user=u) for u in users)
        Address.objects.bulk_create(
            Address(
                user=u,
                recipient_name="Bench Card",
                street_address="1 Bench Street",
                city="Springfield",
                postal_code="62701",
                country="US",
                is_primary=True,
            )
            for u in users
        )
    expiry_year = dt.date.today().year + 3
    out = []
    for i, user in enumerate(users):
        three_ds = i % three_ds_every == three_ds_every - 1
        card = sandbox_tokenize(number=CARD_3DS if three_ds else CARD_OK, exp_month=12, exp_year=expiry_year, cvc="123")
        method = payment_method_add(
            user=user, token=card.token, billing={"billing_name": "Bench Card", "billing_country": "US"}
        )
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=dt.timedelta(hours=2))
        out.append({"id": user.pk, "token": str(token), "method_id": method.pk, "three_ds": three_ds})
    return {"customers": out, "variant_ids": variant_ids, "initial": 100_000, "uses": 4}


def _sandbox_signing_secret() -> None:
    """The sandbox's webhook signing secret, from the bench settings, on its gateway row: a row
    made before the secret was set (production's settings default to none) could sign nothing,
    and every webhook would be refused. Settings stand for the processor's dashboard here."""
    record = gateway_record("sandbox")
    if not secret_decrypt(record.webhook_secret_encrypted):
        PaymentGateway.objects.filter(pk=record.pk).update(
            webhook_secret_encrypted=secret_encrypt(settings.SANDBOX_WEBHOOK_SECRET)
        )
