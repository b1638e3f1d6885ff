"""Shipping rules and tax rates: which apply to a destination, and the arithmetic of each.

Pure functions over the staff-configured rows (`ShippingRule`, `TaxRate`), so the quote service
(`orders.services.quote`) is the only caller that decides what an order costs. The rows are read
once per quote, all active ones in two small queries, and kept in the shared cache under the
`pricing` generation, which a save or delete of a rule bumps after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.money import CENT, ZERO, money
from common.public_cache import generations_bump, generations_prefetch, shared_value

from .models import ShippingRule, TaxRate

PRICING_SCOPE = "pricing"
generations_prefetch(PRICING_SCOPE)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PricingRules:
    """Every active shipping rule and tax rate (a few rows: staff set one per destination)."""

    shipping: tuple[ShippingRule, ...]
    tax: tuple[TaxRate, ...]


def _rules_read() -> PricingRules:
    return PricingRules(
        shipping=tuple(ShippingRule.objects.filter(is_active=True).order_by("pk")),
        tax=tuple(TaxRate.objects.filter(is_active=True).order_by("pk")),
    )


def pricing_rules() -> PricingRules:
    """The active rules, from the shared cache while no rule changed (two queries on a miss)."""
    rules: PricingRules = shared_value([PRICING_SCOPE], "pricing-rules", _rules_read)
    return rules


@receiver([post_save, post_delete], sender=ShippingRule)
@receiver([post_save, post_delete], sender=TaxRate)
def _rules_changed(**kwargs: Any) -> None:
    generations_bump([PRICING_SCOPE])


def shipping_rule_for(rules: PricingRules, *, country: str) -> ShippingRule | None:
    """The destination country's rule, else the rule for everywhere, else None (free delivery)."""
    by_country = {str(rule.country): rule for rule in rules.shipping}
    return by_country.get(country) or by_country.get("")


def tax_rate_for(rules: PricingRules, *, country: str, region: str) -> TaxRate | None:
    """The most specific rate: the region's (matched ignoring case and spaces), else the country's."""
    region_key = " ".join(region.split()).casefold()
    country_wide = None
    for rate in rules.tax:
        if str(rate.country) != country:
            continue
        if not rate.region:
            country_wide = rate
        elif region_key and " ".join(rate.region.split()).casefold() == region_key:
            return rate
    return country_wide


def shipping_cost(rule: ShippingRule | None, *, goods: Decimal, weight_kg: Decimal) -> Decimal:
    """Delivery under `rule` for goods worth `goods` (after the coupon) weighing `weight_kg`."""
    if rule is None:
        return ZERO
    if rule.free_over is not None and goods >= rule.free_over:
        return ZERO
    return money(rule.flat_rate + rule.per_kg * weight_kg)


def tax_on(amount: Decimal, rate: Decimal | None) -> Decimal:
    """`rate` percent of `amount`, rounded half up to the cent."""
    if not rate:
        return ZERO
    return (amount * rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def discount_spread(totals: Sequence[Decimal], discount: Decimal) -> list[Decimal]:
    """The order's discount shared out over its lines in proportion to their totals, in cents.

    Each share is rounded half up, except the last line's, which takes what is left, so the
    shares add up to `discount` exactly (and none exceeds its line: the discount never exceeds
    the subtotal).
    """
    subtotal = sum(totals, ZERO)
    if not totals or discount <= ZERO or subtotal <= ZERO:
        return [ZERO for _ in totals]
    shares = [money(total * discount / subtotal) for total in totals[:-1]]
    shares.append(money(discount - sum(shares, ZERO)))
    return shares
