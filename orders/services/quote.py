"""The one price of an order: subtotal, coupon, shipping, tax and total, before and at checkout.

The cart page, the checkout page, `POST checkout/quote/` and `POST orders/` all get their numbers
from `quote_compute`, so the total a customer is shown is the total the order stores and the
wallet pays (unless a price, a rule or the coupon changes in between; checkout computes again
with the rows it locks).

How the numbers are made, all in `Decimal`, every step rounded half up (ROUND_HALF_UP) to the cent:

1. Each line costs unit price x quantity; the subtotal is their sum.
2. The coupon's discount (`promotions.services.coupon_discount`) is shared out over the lines in
   proportion to their totals (`orders.pricing.discount_spread`: the last line takes the
   remainder, so the shares add up to the discount exactly).
3. Shipping comes from the destination's `ShippingRule` (see its docstring for the precedence),
   judged on the goods after the coupon (subtotal - discount) and the order's weight.
4. Tax is the destination's `TaxRate` (the region's, else the country's) applied to each line
   after its share of the discount, each line rounded on its own, plus the same rate on
   shipping, rounded on its own: delivery is part of the taxable supply, as VAT and most sales
   taxes treat it. The order's tax is the sum of these roundings ("rounding per line"), so an
   invoice that lists the tax of each line adds up to the order's tax.
5. The total is subtotal - discount + shipping + tax.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Address, User
from catalog.models import ProductVariant
from common.exceptions import DomainError
from common.money import ZERO, money
from promotions.models import IssuedCoupon
from promotions.services import issued_coupon_discount_preview

from ..exceptions import ProductUnavailableError
from ..pricing import (
    PricingRules,
    discount_spread,
    pricing_rules,
    shipping_cost,
    shipping_rule_for,
    tax_on,
    tax_rate_for,
)


class AddressRequiredError(DomainError):
    code = "address_required"
    http_status = 400
    default_message = gettext_lazy("Add a delivery address first.")


class ShippingAddressInvalidError(DomainError):
    """A `shipping_address_id` that is not one of the customer's usable addresses.

    The same answer for an address of another customer and for a number that names nothing,
    so the answer never tells whether an address exists. The API shows it as a field error.
    """

    code = "validation_error"
    http_status = 400
    field = "shipping_address_id"
    default_message = gettext_lazy("Choose one of your addresses.")


@dataclass(frozen=True)
class PricedLine:
    """One line of an order: its variant (looked up once, with its product) and its total."""

    variant: ProductVariant
    quantity: int
    total: Decimal


@dataclass(frozen=True)
class QuoteLine:
    line: PricedLine
    discount: Decimal  # this line's share of the coupon
    tax: Decimal  # on the line after its discount


@dataclass(frozen=True)
class Quote:
    """What an order costs, delivered to `address`. Every amount is in `currency`, in cents."""

    lines: tuple[QuoteLine, ...]
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    weight_kg: Decimal
    tax_rate: Decimal | None  # the percentage applied, None when the destination has no rate
    address: Address | None
    issued_coupon: IssuedCoupon | None = None


def lines_price(lines: list) -> list[PricedLine]:  # list[OrderLine]: typed loosely to avoid a cycle
    """Each line with its variant, in one read; ProductUnavailableError names every line not for sale."""
    variants = {
        v.pk: v
        for v in ProductVariant.objects.orderable()
        .select_related("product")
        .filter(pk__in=[line.variant_id for line in lines])
    }
    missing = [line.variant_id for line in lines if line.variant_id not in variants]
    if missing:
        # A refusal: one more query names what is no longer for sale (a variant that never
        # existed has no name to give).
        titles = sorted(
            set(ProductVariant._base_manager.filter(pk__in=missing).values_list("product__title", flat=True))
        )
        message = _("No longer for sale: %(items)s.") % {"items": ", ".join(titles)} if titles else None
        raise ProductUnavailableError(message, extra={"variant_ids": missing})
    priced = []
    for line in lines:
        variant = variants[line.variant_id]
        priced.append(PricedLine(variant=variant, quantity=line.quantity, total=money(variant.price * line.quantity)))
    return priced


def shipping_address_of(*, customer: User, address_id: int | None) -> Address:
    """The address an order ships to: the customer's own `address_id`, or their primary address.

    One query. Raises AddressRequiredError (no address given and no primary one) and
    ShippingAddressInvalidError (not one of theirs, or one without a country).
    """
    if address_id is None:
        address = Address.objects.filter(user=customer, is_primary=True).first()
        if address is None:
            raise AddressRequiredError()
    else:
        address = Address.objects.filter(user=customer, pk=address_id).first()
        if address is None:
            raise ShippingAddressInvalidError()
    if not address.country:
        # Only an address whose old free-text country could not be mapped (accounts migration 0006).
        raise ShippingAddressInvalidError(_("This address has no country: edit it, then order."))
    return address


def quote_compute(
    *,
    lines: list[PricedLine],
    discount: Decimal,
    address: Address | None,
    currency: str,
    rules: PricingRules | None = None,
    issued_coupon: IssuedCoupon | None = None,
) -> Quote:
    """The price of `lines` with `discount` delivered to `address` (see the module docstring).

    No address (a cart page estimate for a customer with none yet) prices goods and coupon only.
    Reads the pricing rules (cached) when `rules` is not given; nothing else.
    """
    subtotal = money(sum((line.total for line in lines), ZERO))
    discount = money(discount)
    shares = discount_spread([line.total for line in lines], discount)
    weight = sum(((line.variant.weight_kg or ZERO) * line.quantity for line in lines), Decimal(0))
    shipping = ZERO
    rate: Decimal | None = None
    if address is not None and address.country:
        rules = rules if rules is not None else pricing_rules()
        country = str(address.country)
        shipping = shipping_cost(
            shipping_rule_for(rules, country=country), goods=money(subtotal - discount), weight_kg=weight
        )
        tax_rate = tax_rate_for(rules, country=country, region=address.state)
        rate = tax_rate.rate if tax_rate is not None else None
    quoted = tuple(
        QuoteLine(line=line, discount=share, tax=tax_on(line.total - share, rate))
        for line, share in zip(lines, shares, strict=True)
    )
    tax = money(sum((q.tax for q in quoted), ZERO) + tax_on(shipping, rate))
    return Quote(
        lines=quoted,
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        tax=tax,
        total=money(subtotal - discount + shipping + tax),
        currency=currency,
        weight_kg=weight,
        tax_rate=rate,
        address=address,
        issued_coupon=issued_coupon,
    )


def checkout_quote(
    *,
    customer: User,
    lines: list,
    shipping_address_id: int | None = None,
    coupon_ref: int | None = None,
) -> Quote:
    """What placing these lines would cost now, without writing or locking anything.

    `lines` are `OrderLine`s (normalised by the caller). Raises ProductUnavailableError,
    AddressRequiredError, ShippingAddressInvalidError, CouponNotUsableError.
    """
    priced = lines_price(lines)
    address = shipping_address_of(customer=customer, address_id=shipping_address_id)
    subtotal = money(sum((line.total for line in priced), ZERO))
    issued, discount = None, ZERO
    if coupon_ref is not None:
        issued, discount = issued_coupon_discount_preview(coupon_ref=coupon_ref, user=customer, subtotal=subtotal)
    return quote_compute(
        lines=priced, discount=discount, address=address, currency=settings.SHOP_CURRENCY, issued_coupon=issued
    )


def cart_quote(
    *, customer: User, lines: list[tuple[ProductVariant, int]], address: Address | None, coupon_ref: int | None = None
) -> tuple[Quote, str]:
    """The quote of a cart's lines (variants already read, at today's prices) for the cart and
    checkout pages, which must render whatever happens: a coupon that cannot be used is left
    out, and its reason comes back as the second value ("" when none)."""
    priced = [PricedLine(variant=v, quantity=q, total=money(v.price * q)) for v, q in lines]
    subtotal = money(sum((line.total for line in priced), ZERO))
    issued, discount, problem = None, ZERO, ""
    if coupon_ref is not None:
        try:
            issued, discount = issued_coupon_discount_preview(coupon_ref=coupon_ref, user=customer, subtotal=subtotal)
        except DomainError as exc:
            problem = str(exc.message)
    quote = quote_compute(
        lines=priced, discount=discount, address=address, currency=settings.SHOP_CURRENCY, issued_coupon=issued
    )
    return quote, problem
