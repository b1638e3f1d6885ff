"""Demo catalogue for `manage.py seed_demo`: a category tree and 200 products of the demo seller,
with 1 to 3 variants each and a placeholder picture from static/img/products/.

Idempotent: categories are matched by slug and products by the SKU of their first variant
(``DEMO-NNN-1``), so a second run adds nothing. Stock is inventory/demo.py's part.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Seller
from common.demo_skus import DEMO_SKU_PREFIX

from .models import Category, Product, ProductImage, ProductStatus, ProductVariant

DEMO_SELLER_EMAIL = "seller@example.com"
PRODUCT_COUNT = 200
SKU_PREFIX = DEMO_SKU_PREFIX


@dataclass(frozen=True)
class Sub:
    name: str
    slug: str
    nouns: tuple[str, ...]
    options: tuple[tuple[str, str, str, str], ...]  # (name, color, size, price delta)
    base_price: int


COLORS = (("Black", "Black", "", "0"), ("Silver", "Silver", "", "10"), ("Blue", "Blue", "", "15"))
SIZES = (("Size M", "", "M", "0"), ("Size L", "", "L", "0"), ("Size S", "", "S", "0"))
SHOE_SIZES = (("EU 42", "", "42", "0"), ("EU 44", "", "44", "0"), ("EU 40", "", "40", "0"))
PACKS = (("Single", "", "", "0"), ("Pair", "", "", "12"), ("Family pack", "", "", "30"))
FINISHES = (("Oak", "Oak", "", "0"), ("Walnut", "Walnut", "", "25"), ("White", "White", "", "0"))

TREE: tuple[tuple[str, str, tuple[Sub, ...]], ...] = (
    (
        "Electronics",
        "electronics",
        (
            Sub("Phones", "phones", ("Smartphone", "Phone", "Phone Case"), COLORS, 199),
            Sub("Laptops", "laptops", ("Laptop", "Notebook", "Ultrabook"), COLORS, 649),
            Sub("Audio", "audio", ("Headphones", "Earbuds", "Speaker"), COLORS, 39),
        ),
    ),
    (
        "Home & Kitchen",
        "home-kitchen",
        (
            Sub("Furniture", "furniture", ("Chair", "Side Table", "Bookshelf"), FINISHES, 89),
            Sub("Cookware", "cookware", ("Frying Pan", "Saucepan", "Dutch Oven"), PACKS, 29),
            Sub("Lighting", "lighting", ("Desk Lamp", "Floor Lamp", "Pendant Light"), FINISHES, 35),
        ),
    ),
    (
        "Fashion",
        "fashion",
        (
            Sub("Clothing", "clothing", ("T-Shirt", "Hoodie", "Rain Jacket"), SIZES, 19),
            Sub("Shoes", "shoes", ("Running Shoes", "Sneakers", "Hiking Boots"), SHOE_SIZES, 59),
            Sub("Bags", "bags", ("Backpack", "Tote Bag", "Duffel Bag"), COLORS, 25),
        ),
    ),
    (
        "Sports & Outdoors",
        "sports-outdoors",
        (
            Sub("Fitness", "fitness", ("Dumbbell Set", "Yoga Mat", "Kettlebell"), PACKS, 15),
            Sub("Camping", "camping", ("Tent", "Sleeping Bag", "Camp Stove"), COLORS, 45),
            Sub("Cycling", "cycling", ("Bike Helmet", "Bike Light", "Water Bottle"), COLORS, 12),
        ),
    ),
)
ADJECTIVES = ("Classic", "Urban", "Compact", "Pro", "Everyday", "Trail", "Nordic", "Studio", "Eco", "Ultra")
BRANDS = ("Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli")


def _categories() -> list[tuple[Sub, Category]]:
    subs: list[tuple[Sub, Category]] = []
    for order, (name, slug, children) in enumerate(TREE):
        parent, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "display_order": order, "description": f"Everything in {name}."}
        )
        for child_order, sub in enumerate(children):
            category, _ = Category.objects.get_or_create(
                slug=sub.slug,
                defaults={"name": sub.name, "parent": parent, "display_order": child_order},
            )
            subs.append((sub, category))
    return subs


def _sku(number: int, option: int) -> str:
    return f"{SKU_PREFIX}{number:03d}-{option}"


def seed(stdout: Any) -> None:
    seller = Seller.objects.filter(user__email__iexact=DEMO_SELLER_EMAIL).first()
    if seller is None:
        stdout.write(f"catalog: no seller {DEMO_SELLER_EMAIL} yet, no demo products")
        return
    with transaction.atomic():
        subs = _categories()
        existing = set(
            ProductVariant.all_objects.filter(sku__in=[_sku(n, 1) for n in range(1, PRODUCT_COUNT + 1)]).values_list(
                "sku", flat=True
            )
        )
        planned: list[tuple[int, Sub, Product]] = []
        for number in range(1, PRODUCT_COUNT + 1):
            if _sku(number, 1) in existing:
                continue
            sub, category = subs[(number - 1) % len(subs)]
            round_ = (number - 1) // len(subs)
            noun = sub.nouns[round_ % len(sub.nouns)]
            adjective = ADJECTIVES[round_ % len(ADJECTIVES)]
            brand = BRANDS[number % len(BRANDS)]
            price = Decimal(sub.base_price + (number * 7) % 40) + Decimal("0.99")
            product = Product(
                seller=seller,
                category=category,
                title=f"{adjective} {noun} {sub.slug[:2].upper()}-{number:03d}",
                brand=brand,
                description=(
                    f"The {adjective.lower()} {noun.lower()} by {brand}: made to last, easy to care for, "
                    f"and backed by a two-year warranty.\nDemo product number {number}."
                ),
                base_price=price,
                currency="USD",
                status=ProductStatus.ACTIVE,
            )
            planned.append((number, sub, product))
        if not planned:
            stdout.write(f"catalog: {len(existing)} demo products already there")
            return
        Product.objects.bulk_create([product for _, _, product in planned])
        variants: list[ProductVariant] = []
        images: list[ProductImage] = []
        for number, sub, product in planned:
            for index, (name, color, size, delta) in enumerate(sub.options[: 1 + number % 3], start=1):
                variants.append(
                    ProductVariant(
                        product=product,
                        sku=_sku(number, index),
                        name=name,
                        price=product.base_price + Decimal(delta),
                        color=color,
                        size=size,
                    )
                )
            # The plain path: pages give it the static storage's hashed name when they show it
            # (catalog_tags.image_src), so the rows stay right whatever the files' hashes become.
            picture = f"{settings.STATIC_URL}img/products/{sub.slug}.svg"
            images.append(
                ProductImage(product=product, image_url=picture, alt_text=f"{product.title}", is_primary=True)
            )
        ProductVariant.objects.bulk_create(variants)
        ProductImage.objects.bulk_create(images)
    stdout.write(f"catalog: {len(planned)} demo products with {len(variants)} variants created")
