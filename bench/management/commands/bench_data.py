"""Generate the data set of `make bench`, or reuse it when it is already there.

The default scale: 10,000 products with variants and stock in a category tree, 2,000 customers
with funded wallets, and 30 days of paid orders with about 200,000 order lines, their payments,
wallet ledger, stock ledger and sale stats, rolled up by `sales_rollup` day by day.

Every row respects the shop's invariants and CHECK constraints: order total = subtotal - discount
+ shipping + tax, line total = unit price x quantity, wallet balance = the sum of its ledger,
stock = the sum of its movements. The big tables are written with COPY; one transaction holds
the whole generation, so a failed run leaves nothing behind.

A marker category (slug `bench-data`) records the version and scale. A second run with the same
scale reuses the data; a different scale stops with exit code 3 (drop the database first).
"""

import datetime as dt
import json
import random
import time
from collections import defaultdict
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Address, Customer, Seller, SellerStatus, User
from catalog.models import Category, Product, ProductImage, ProductStatus, ProductVariant
from inventory.models import InventoryItem, Warehouse
from orders.models import OrderNumberCounter, OrderState
from orders.numbering import format_order_number
from orders.services import sales_rollup
from payments.models import Wallet

VERSION = 1
MARKER_SLUG = "bench-data"
CUSTOMER_EMAIL = "bench-customer-{:05d}@bench.example"
CUSTOMER_PASSWORD = "bench-customer-password"  # a benchmark account on a benchmark database
FUNDING = Decimal("10000.00")  # every customer's balance after the history; one top-up is at most this
ADJECTIVES = ["red", "blue", "green", "black", "white", "oak", "steel", "linen", "wool", "cotton", "glass", "clay"]
NOUNS = ["lamp", "chair", "table", "mug", "shirt", "scarf", "kettle", "bowl", "pen", "notebook", "rug", "vase"]
TOP_CATEGORIES = ["Home", "Kitchen", "Garden", "Office", "Clothing", "Outdoor", "Toys", "Books"]
SOLD_STATES_BY_AGE = [  # an older order has moved further along
    (2, OrderState.PAID),
    (5, OrderState.PROCESSING),
    (10, OrderState.SHIPPED),
    (10**6, OrderState.DELIVERED),
]
EXIT_NEEDS_FRESH_DATABASE = 3
UNUSABLE = "!"  # sellers do not sign in during the benchmark


def mint_tokens(*, path: Path, hours: int = 12) -> int:
    """Write an access token for every bench customer to `path` (JSON), for the load generators."""
    tokens = []
    for user in User.objects.filter(email__startswith="bench-customer-", customer__isnull=False).order_by("id"):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=dt.timedelta(hours=hours))
        tokens.append({"id": user.pk, "email": user.email, "token": str(token)})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"customers": tokens}))
    return len(tokens)


class Command(BaseCommand):
    help = "Create (or reuse) the benchmark data set: products, stock, funded customers, 30 days of paid orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=10_000)
        parser.add_argument("--variants", type=int, default=2, help="Variants per product.")
        parser.add_argument("--customers", type=int, default=2_000)
        parser.add_argument("--days", type=int, default=30, help="Days of order history, today included.")
        parser.add_argument("--items", type=int, default=None, help="Order lines in the history (20 per product).")
        parser.add_argument("--sellers", type=int, default=20)
        parser.add_argument("--stock", type=int, default=1_000, help="Units of each variant left after the history.")
        parser.add_argument("--seed", type=int, default=20_240_601)
        parser.add_argument("--tokens-out", type=Path, default=None, help="Write customers' access tokens here.")
        parser.add_argument("--token-hours", type=int, default=12)

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_data writes with COPY and needs PostgreSQL.")
        scale = {
            "version": VERSION,
            "products": options["products"],
            "variants": options["variants"],
            "customers": options["customers"],
            "days": options["days"],
            "items": options["items"] or options["products"] * 20,
            "sellers": options["sellers"],
            "stock": options["stock"],
            "seed": options["seed"],
        }
        if min(scale["products"], scale["variants"], scale["customers"], scale["days"], scale["sellers"]) < 1:
            raise CommandError("--products, --variants, --customers, --days and --sellers must be at least 1.")
        marker = Category.objects.filter(slug=MARKER_SLUG).first()
        if marker is not None:
            found = json.loads(marker.description or "{}")
            found_scale = {k: v for k, v in found.items() if k != "generated_at"}
            if found_scale != scale:
                raise CommandError(
                    f"This database holds another bench data set ({found_scale}); drop it to make {scale}.",
                    returncode=EXIT_NEEDS_FRESH_DATABASE,
                )
            self.stdout.write(f"Bench data set already there (generated {found.get('generated_at')}); reusing it.")
        else:
            started = time.monotonic()
            with transaction.atomic():
                _Generator(scale, self.stdout).run()
            # Fresh planner statistics, as autovacuum would gather them on a live shop: right after
            # a bulk load the planner thinks these tables are empty and picks nested loops.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(f"Bench data set generated in {time.monotonic() - started:.0f} s.")
        if options["tokens_out"]:
            n = mint_tokens(path=options["tokens_out"], hours=options["token_hours"])
            self.stdout.write(f"{n} customer tokens written to {options['tokens_out']}.")


class _Generator:
    def __init__(self, scale: dict[str, int], stdout: Any) -> None:
        self.scale = scale
        self.stdout = stdout
        self.rng = random.Random(scale["seed"])  # reproducible data, not secrets
        self.now = timezone.now()
        self.today = self.now.date()
        self.cursor = connection.cursor()

    def say(self, message: str) -> None:
        self.stdout.write(f"  {message}")

    def ids(self, table: str, n: int) -> list[int]:
        """n fresh primary keys from the table's own sequence, so later inserts never collide."""
        self.cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
        return [row[0] for row in self.cursor.fetchall()]

    def copy(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        # Columns added to the model later get their model default (or NULL), so a new column
        # with a Python-side default does not break the load.
        model = next(m for m in apps.get_models() if m._meta.db_table == table)
        extra = [
            f
            for f in model._meta.concrete_fields
            if f.column not in columns and not f.generated and not (f.primary_key and "id" not in columns)
        ]
        defaults = tuple(f.get_db_prep_save(f.get_default(), connection) if f.has_default() or not f.null else None
                         for f in extra)  # fmt: skip
        names = [*columns, *(f.column for f in extra)]
        raw = self.cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + defaults)
        self.say(f"{table}: {len(rows):,} rows")

    def run(self) -> None:
        s = self.scale
        marker = Category.objects.create(name="Bench catalogue", slug=MARKER_SLUG, description="{}")
        leaves = self.categories(marker)
        sellers = self.sellers(s["sellers"])
        products, variants = self.catalogue(leaves, sellers)
        customers = self.customers(s["customers"])
        sold, sales = self.history(products, variants, customers)
        self.stock(variants, sold, sales)
        for offset in range(s["days"] - 1, 0, -1):  # every finished day; today stays live
            sales_rollup(day=self.today - dt.timedelta(days=offset))
        self.say(f"sales rolled up for {s['days'] - 1} days")
        marker.description = json.dumps({**s, "generated_at": self.now.isoformat()})
        marker.save(update_fields=["description"])

    def categories(self, root: Category) -> list[Category]:
        leaves: list[Category] = []
        for i, name in enumerate(TOP_CATEGORIES):
            top = Category.objects.create(parent=root, name=name, slug=f"bench-{i}", display_order=i)
            children = Category.objects.bulk_create(
                Category(parent=top, name=f"{name} {j + 1}", slug=f"bench-{i}-{j}", display_order=j) for j in range(6)
            )
            leaves.extend(children)
        return leaves

    def sellers(self, n: int) -> list[Seller]:
        users = User.objects.bulk_create(
            User(
                email=f"bench-seller-{i:03d}@bench.example",
                password=UNUSABLE,
                first_name="Bench",
                last_name=f"Seller {i}",
            )
            for i in range(n)
        )
        return Seller.objects.bulk_create(
            Seller(
                user=user,
                business_name=f"Bench Seller {i}",
                business_registration_number=f"BENCH-{i:05d}",
                contact_person_name=f"Bench Seller {i}",
                status=SellerStatus.ACTIVE,
            )
            for i, user in enumerate(users)
        )

    def catalogue(self, leaves: list[Category], sellers: list[Seller]) -> tuple[list[Product], list[ProductVariant]]:
        rng, s = self.rng, self.scale
        products: list[Product] = []
        for i in range(s["products"]):
            adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
            products.append(
                Product(
                    seller=rng.choice(sellers),
                    category=rng.choice(leaves),
                    title=f"{adjective.title()} {noun} {i + 1}",
                    description=f"A {adjective} {noun} made for the benchmark.",
                    brand=f"Brand {i % 50}",
                    base_price=Decimal(rng.randint(200, 6000)) / 100,
                    status=ProductStatus.ACTIVE,
                )
            )
        products = Product.objects.bulk_create(products, batch_size=2000)
        self.say(f"catalog_product: {len(products):,} rows")
        ProductImage.objects.bulk_create(
            (
                ProductImage(
                    product=p,
                    image_url=f"https://images.bench.example/{p.pk}.jpg",
                    alt_text=p.title,
                    is_primary=True,
                )
                for p in products
            ),
            batch_size=2000,
        )
        sizes = ["S", "M", "L", "XL"]
        variants = ProductVariant.objects.bulk_create(
            (
                ProductVariant(
                    product=p,
                    sku=f"BENCH-{p.pk}-{k}",
                    name=f"Size {sizes[k % len(sizes)]}",
                    size=sizes[k % len(sizes)],
                    price=p.base_price + k,
                )
                for p in products
                for k in range(s["variants"])
            ),
            batch_size=2000,
        )
        self.say(f"catalog_productvariant: {len(variants):,} rows")
        return products, variants

    def customers(self, n: int) -> list[User]:
        password = make_password(CUSTOMER_PASSWORD)  # hashed once: Argon2 is slow on purpose
        users = User.objects.bulk_create(
            (
                User(email=CUSTOMER_EMAIL.format(i), password=password, first_name="Bench", last_name=f"Customer {i}")
                for i in range(n)
            ),
            batch_size=2000,
        )
        Customer.objects.bulk_create((Customer(user=u) for u in users), batch_size=2000)
        # Checkout delivers to the customer's primary address: every bench customer has one.
        Address.objects.bulk_create((_bench_address(u) for u in users), batch_size=2000)
        self.say(f"customers: {len(users):,}")
        return users

    def history(
        self, products: list[Product], variants: list[ProductVariant], customers: list[User]
    ) -> tuple[dict[int, int], list[tuple]]:
        """Paid orders over the last `days` days; returns units sold per variant and the sold lines."""
        rng, s = self.rng, self.scale
        # A long tail: a few products sell a lot (weights 1/rank), so "popular" means something.
        ranked = variants[:]
        rng.shuffle(ranked)
        cum_weights = list(accumulate(1.0 / (rank + 10) for rank in range(len(ranked))))
        product_by_id = {p.pk: p for p in products}
        window_start = dt.datetime.combine(self.today - dt.timedelta(days=s["days"] - 1), dt.time.min, tzinfo=dt.UTC)
        window_seconds = max(int((self.now - window_start).total_seconds()) - 60, 1)

        lines_left = s["items"]
        orders: list[dict[str, Any]] = []
        while lines_left > 0:
            n_lines = min(rng.randint(1, 5), lines_left)
            lines_left -= n_lines
            chosen = {v.pk: v for v in rng.choices(ranked, cum_weights=cum_weights, k=n_lines)}
            paid_at = window_start + dt.timedelta(seconds=rng.randrange(window_seconds))
            orders.append(
                {
                    "customer": rng.choice(customers),
                    "paid_at": paid_at,
                    "lines": [(v, rng.randint(1, 3)) for v in sorted(chosen.values(), key=lambda v: v.pk)],
                }
            )
        orders.sort(key=lambda o: o["paid_at"])

        order_ids = self.ids("orders_order", len(orders))
        item_ids = self.ids("orders_orderitem", sum(len(o["lines"]) for o in orders))
        payment_ids = self.ids("payments_payment", len(orders))
        counters: dict[int, int] = {c.year: c.last_value for c in OrderNumberCounter.objects.select_for_update().all()}
        order_rows, item_rows, stat_rows, payment_rows, transaction_rows, uses = [], [], [], [], [], []
        sold: dict[int, int] = defaultdict(int)
        item_ix = 0
        for order, order_id, payment_id in zip(orders, order_ids, payment_ids, strict=True):
            paid_at = order["paid_at"]
            age = (self.today - paid_at.date()).days
            status = next(state for limit, state in SOLD_STATES_BY_AGE if age < limit)
            subtotal = Decimal("0.00")
            for variant, quantity in order["lines"]:
                product = product_by_id[variant.product_id]
                total = variant.price * quantity
                subtotal += total
                item_id = item_ids[item_ix]
                item_ix += 1
                sold[variant.pk] += quantity
                item_rows.append(
                    (item_id, paid_at, paid_at, order_id, product.pk, variant.pk, product.seller_id, product.title,
                     variant.name, variant.sku, quantity, variant.price, total, "USD", None, "", variant.size, "")
                )  # fmt: skip
                stat_rows.append((product.pk, item_id, quantity, paid_at.date(), paid_at))
            counters[paid_at.year] = counters.get(paid_at.year, 0) + 1
            number = format_order_number(year=paid_at.year, value=counters[paid_at.year])
            customer = order["customer"]
            order_rows.append(
                (order_id, paid_at, paid_at, customer.pk, number, str(status), None, subtotal, 0, 0, 0, subtotal,
                 "USD", "", None, "", paid_at, None)
            )  # fmt: skip
            payment_rows.append((payment_id, paid_at, paid_at, order_id, customer.pk, "wallet", subtotal, 0, "USD",
                                 "captured"))  # fmt: skip
            transaction_rows.append((paid_at, paid_at, payment_id, f"bench_{payment_id}", "capture", subtotal, "USD",
                                     "success", "00", "Paid from wallet"))  # fmt: skip
            uses.append((customer.pk, paid_at, subtotal, order_id))

        self.copy(
            "orders_order",
            ["id", "created_at", "updated_at", "customer_id", "order_number", "status_code", "issued_coupon_id",
             "subtotal", "discount_amount", "shipping_cost", "tax_amount", "total_amount", "currency",
             "special_instructions", "idempotency_key", "request_fingerprint", "paid_at", "cancelled_at"],
            order_rows,
        )  # fmt: skip
        self.copy(
            "orders_orderitem",
            ["id", "created_at", "updated_at", "order_id", "product_id", "variant_id", "seller_id", "product_title",
             "variant_name", "sku", "quantity", "unit_price", "total_price", "currency", "weight_kg", "color", "size",
             "material"],
            item_rows,
        )  # fmt: skip
        self.copy(
            "orders_productsalestat", ["product_id", "order_item_id", "quantity", "date", "created_at"], stat_rows
        )
        self.copy(
            "payments_payment",
            ["id", "created_at", "updated_at", "order_id", "user_id", "method", "amount", "refunded_amount", "currency",
             "status"],
            payment_rows,
        )  # fmt: skip
        self.copy(
            "payments_paymenttransaction",
            ["created_at", "updated_at", "payment_id", "transaction_id", "transaction_type", "amount", "currency",
             "status", "response_code", "response_message"],
            transaction_rows,
        )  # fmt: skip
        for year, value in counters.items():
            OrderNumberCounter.objects.update_or_create(year=year, defaults={"last_value": value})
        self.wallets(customers, uses, window_start)
        # (order item, variant, quantity, paid at, order) for the stock ledger
        return sold, [(row[0], row[5], row[10], row[1], row[3]) for row in item_rows]

    def wallets(self, customers: list[User], uses: list[tuple], window_start: dt.datetime) -> None:
        """Top-ups before the window, then one `use` per order: each ends at FUNDING, the ledger adds up."""
        spent: dict[int, Decimal] = defaultdict(Decimal)
        for user_id, _paid_at, amount, _order_id in uses:
            spent[user_id] += amount
        wallets = Wallet.objects.bulk_create(
            (Wallet(user=u, balance=FUNDING, currency="USD") for u in customers), batch_size=2000
        )
        wallet_of = {w.user_id: w.pk for w in wallets}
        balance: dict[int, Decimal] = {}
        rows = []
        funded_at = window_start - dt.timedelta(days=1)
        for user in customers:
            total = FUNDING + spent[user.pk]
            balance[user.pk] = Decimal("0.00")
            while total > 0:
                amount = min(total, FUNDING)
                total -= amount
                balance[user.pk] += amount
                rows.append((wallet_of[user.pk], "charge", amount, balance[user.pk], "bench top-up", None, funded_at))
        for user_id, paid_at, amount, order_id in uses:
            balance[user_id] -= amount
            rows.append((wallet_of[user_id], "use", amount, balance[user_id], f"order:{order_id}", order_id, paid_at))
        assert all(b == FUNDING for b in balance.values())
        self.copy(
            "payments_walletentry",
            ["wallet_id", "entry_type", "amount", "balance_after", "reference", "order_id", "created_at"],
            rows,
        )

    def stock(self, variants: list[ProductVariant], sold: dict[int, int], sales: list[tuple]) -> None:
        """Each variant: a restock of (stock + sold) before the window, then one sale movement per line."""
        warehouse = Warehouse.objects.get(is_default=True)
        items = InventoryItem.objects.bulk_create(
            (InventoryItem(variant=v, warehouse=warehouse, quantity=self.scale["stock"]) for v in variants),
            batch_size=2000,
        )
        item_of = {i.variant_id: i.pk for i in items}
        level = {v.pk: self.scale["stock"] + sold.get(v.pk, 0) for v in variants}
        restocked_at = self.now - dt.timedelta(days=self.scale["days"] + 1)
        rows = [
            (item_of[v.pk], "restock", "import", 0, level[v.pk], level[v.pk], "bench stock", "", None, restocked_at)
            for v in variants
        ]
        for order_item_id, variant_id, quantity, at, order_id in sales:
            before = level[variant_id]
            level[variant_id] -= quantity
            rows.append(
                (item_of[variant_id], "sale", "system", before, level[variant_id], -quantity, "", f"order:{order_id}",
                 order_item_id, at)
            )  # fmt: skip
        assert all(value == self.scale["stock"] for value in level.values())
        self.copy(
            "inventory_inventoryhistory",
            ["inventory_item_id", "change_type", "change_source", "quantity_before", "quantity_after",
             "quantity_delta", "reason", "reference", "order_item_id", "created_at"],
            rows,
        )  # fmt: skip


def _bench_address(user: User) -> Address:
    return Address(
        user=user,
        recipient_name=f"{user.first_name} {user.last_name}",
        street_address="1 Bench Street",
        city="Springfield",
        postal_code="62701",
        country="US",
        is_primary=True,
    )
