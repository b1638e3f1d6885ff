"""The catalogue (seed 003 *Product*, seed 000 PRODUCTS): categories, products, variants, images.

Seed 003 has two category tables (`categories` and `product_categories`); they describe the same
tree and are merged into `Category`.
"""

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import SoftDeleteModel, SoftDeleteQuerySet, TimeStampedModel, bounded_text_field
from common.money import currency_field, money_field

from .validators import validate_image_url

CATEGORY_DESCRIPTION_MAX_LENGTH = 5000
PRODUCT_DESCRIPTION_MAX_LENGTH = 10000


class Category(TimeStampedModel):
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = bounded_text_field(CATEGORY_DESCRIPTION_MAX_LENGTH, blank=True)
    image_url = models.URLField(blank=True)
    display_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = _("categories")
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DISCONTINUED = "discontinued", _("Discontinued")


class Product(TimeStampedModel, SoftDeleteModel):
    seller = models.ForeignKey("accounts.Seller", on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=200)
    description = bounded_text_field(PRODUCT_DESCRIPTION_MAX_LENGTH, blank=True)
    brand = models.CharField(max_length=120, blank=True)
    base_price = money_field()
    currency = currency_field()
    status = models.CharField(max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(base_price__gte=0), name="product_price_not_negative")]
        indexes = [models.Index(fields=["status", "category"])]

    def __str__(self) -> str:
        return self.title


class VariantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    DISCONTINUED = "discontinued", _("Discontinued")


class ProductVariantQuerySet(SoftDeleteQuerySet):
    def orderable(self) -> "ProductVariantQuerySet":
        """The one meaning of "can be put in a cart and ordered": the variant and its product are
        active and neither is deleted (`objects` hides deleted variants). Stock is a separate
        question, inventory's."""
        return self.filter(
            status=VariantStatus.ACTIVE,
            product__status=ProductStatus.ACTIVE,
            product__deleted_at__isnull=True,
        )


class ProductVariantManager(models.Manager.from_queryset(ProductVariantQuerySet)):  # type: ignore[misc]  # django-stubs cannot type Manager.from_queryset(...) as a base class
    """The default manager: deleted variants are invisible to the shop (as `AliveManager`)."""

    def get_queryset(self) -> ProductVariantQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class ProductVariant(TimeStampedModel, SoftDeleteModel):
    """A sellable SKU. Its stock lives in `inventory.InventoryItem`, one row per warehouse."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(max_length=120, help_text=_("What tells it apart, e.g. “Red / L”."))
    price = money_field()
    status = models.CharField(max_length=16, choices=VariantStatus.choices, default=VariantStatus.ACTIVE)
    color = models.CharField(max_length=40, blank=True)
    size = models.CharField(max_length=40, blank=True)
    material = models.CharField(max_length=60, blank=True)
    weight_kg = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    dimensions = models.CharField(max_length=60, blank=True, help_text=_("length x width x height"))

    objects: ClassVar[ProductVariantManager] = ProductVariantManager()

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="variant_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.product.title} — {self.name}" if self.name else self.sku


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    # An absolute URL or a path on this site (the demo's images are static files).
    image_url = models.CharField(max_length=500, validators=[validate_image_url])
    thumbnail_url = models.CharField(max_length=500, blank=True, validators=[validate_image_url])
    alt_text = models.CharField(max_length=200)
    display_order = models.PositiveIntegerField(default=0)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "display_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=models.Q(is_primary=True), name="image_one_primary_per_product"
            )
        ]

    def __str__(self) -> str:
        return self.alt_text
