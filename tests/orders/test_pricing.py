"""Shipping and tax at checkout: which rule applies, the rounding, and that the quote shown is
the order stored (service level; the API and pages have their own files)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.services import address_update
from orders.models import Order, ShippingRule, TaxRate
from orders.pricing import PricingRules, discount_spread, shipping_cost, shipping_rule_for, tax_on, tax_rate_for
from orders.services import (
    AddressRequiredError,
    OrderLine,
    ShippingAddressInvalidError,
    checkout_quote,
    order_place,
)
from promotions.services import coupon_claim
from tests.factories.accounts import AddressFactory, CustomerFactory
from tests.factories.commerce import CouponFactory, ShippingRuleFactory, TaxRateFactory, VariantFactory

from .conftest import funded_user

pytestmark = pytest.mark.django_db


# --- the rules -----------------------------------------------------------------------------------


def test_the_destinations_own_rule_beats_the_rule_for_everywhere():
    everywhere = ShippingRuleFactory(country="", flat_rate=Decimal("15.00"))
    uk = ShippingRuleFactory(country="GB", flat_rate=Decimal("3.95"))
    rules = PricingRules(shipping=(everywhere, uk), tax=())

    assert shipping_rule_for(rules, country="GB") == uk
    assert shipping_rule_for(rules, country="FR") == everywhere
    assert shipping_rule_for(PricingRules(shipping=(uk,), tax=()), country="FR") is None


def test_shipping_is_free_above_the_threshold_else_flat_plus_weight():
    rule = ShippingRuleFactory(flat_rate=Decimal("4.95"), per_kg=Decimal("0.50"), free_over=Decimal("50.00"))

    assert shipping_cost(rule, goods=Decimal("50.00"), weight_kg=Decimal("3")) == Decimal("0.00")
    assert shipping_cost(rule, goods=Decimal("49.99"), weight_kg=Decimal("2.345")) == Decimal("6.12")  # 4.95 + 1.1725
    assert shipping_cost(rule, goods=Decimal("10.00"), weight_kg=Decimal("0")) == Decimal("4.95")
    assert shipping_cost(None, goods=Decimal("10.00"), weight_kg=Decimal("9")) == Decimal("0.00")


def test_the_regions_tax_rate_beats_the_countrys():
    country = TaxRateFactory(country="US", region="", rate=Decimal("5"))
    illinois = TaxRateFactory(country="US", region="IL", rate=Decimal("6.25"))
    rules = PricingRules(shipping=(), tax=(illinois, country))

    assert tax_rate_for(rules, country="US", region=" il ") == illinois
    assert tax_rate_for(rules, country="US", region="Ohio") == country
    assert tax_rate_for(rules, country="US", region="") == country
    assert tax_rate_for(rules, country="GB", region="IL") is None


def test_tax_and_discount_shares_round_half_up_to_the_cent():
    assert tax_on(Decimal("0.10"), Decimal("25")) == Decimal("0.03")  # 0.025 rounds up
    assert tax_on(Decimal("9.99"), None) == Decimal("0.00")
    shares = discount_spread([Decimal("10.00"), Decimal("10.00"), Decimal("10.00")], Decimal("10.00"))
    assert shares == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")] and sum(shares) == Decimal("10.00")
    assert discount_spread([Decimal("5.00")], Decimal("0.00")) == [Decimal("0.00")]


# --- the quote and the stored order -------------------------------------------------------------


@pytest.fixture
def pricing():
    ShippingRuleFactory(country="US", flat_rate=Decimal("4.95"), per_kg=Decimal("0.50"), free_over=Decimal("100.00"))
    return TaxRateFactory(country="US", rate=Decimal("8.875"))


def test_tax_is_rounded_per_line_after_the_discount_and_on_shipping(pricing):
    user = funded_user()
    a = VariantFactory(price=Decimal("3.33"), weight_kg=Decimal("1.000"))
    b = VariantFactory(price=Decimal("1.17"), weight_kg=None)
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("1.00")).pk, user=user)

    quote = checkout_quote(
        customer=user,
        lines=[OrderLine(variant_id=a.pk, quantity=3), OrderLine(variant_id=b.pk, quantity=1)],
        coupon_ref=issued.pk,
    )

    # 9.99 + 1.17 = 11.16; the 1.00 off is shared 0.90 / 0.10 (the last line takes the rest).
    assert [(q.line.total, q.discount) for q in quote.lines] == [
        (Decimal("9.99"), Decimal("0.90")),
        (Decimal("1.17"), Decimal("0.10")),
    ]
    # 8.875% of 9.09 = 0.8067 -> 0.81; of 1.07 = 0.0950 -> 0.09 (0.094963); shipping 4.95 + 3 kg x 0.50 = 6.45,
    # its tax 0.5724 -> 0.57. Summed per line: 1.47 (on the whole, 16.61 x 8.875% would be 1.47 too).
    assert [q.tax for q in quote.lines] == [Decimal("0.81"), Decimal("0.09")]
    assert (quote.subtotal, quote.discount, quote.shipping, quote.tax) == (
        Decimal("11.16"),
        Decimal("1.00"),
        Decimal("6.45"),
        Decimal("1.47"),
    )
    assert quote.total == Decimal("18.08") == quote.subtotal - quote.discount + quote.shipping + quote.tax


def test_per_line_rounding_can_differ_from_rounding_the_sum(pricing):
    """Three lines of 0.06 at 8.875% are 0.005325 each: 0.01 each, 0.03 in all (0.02 on the sum)."""
    user = funded_user()
    variants = [VariantFactory(price=Decimal("0.06")) for _ in range(3)]

    quote = checkout_quote(customer=user, lines=[OrderLine(variant_id=v.pk, quantity=1) for v in variants])

    assert [q.tax for q in quote.lines] == [Decimal("0.01")] * 3
    assert quote.tax == Decimal("0.03") + tax_on(quote.shipping, Decimal("8.875"))


def test_the_stored_order_is_the_quote(pricing):
    user = funded_user()
    a = VariantFactory(price=Decimal("19.99"), weight_kg=Decimal("0.750"), color="Red", size="M", material="Wool")
    b = VariantFactory(price=Decimal("7.45"))
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("2.50")).pk, user=user)
    lines = [OrderLine(variant_id=a.pk, quantity=2), OrderLine(variant_id=b.pk, quantity=3)]

    quote = checkout_quote(customer=user, lines=lines, coupon_ref=issued.pk)
    placed = order_place(user=user, lines=lines, coupon_ref=issued.pk)

    order = Order.objects.get(pk=placed.order.pk)
    assert (order.subtotal, order.discount_amount, order.shipping_cost, order.tax_amount, order.total_amount) == (
        quote.subtotal,
        quote.discount,
        quote.shipping,
        quote.tax,
        quote.total,
    )
    assert order.shipping_cost > 0 and order.tax_amount > 0 and order.tax_rate == Decimal("8.875")
    item = order.items.get(variant=a)
    assert (item.seller_id, item.weight_kg, item.color, item.size, item.material) == (
        a.product.seller_id,
        Decimal("0.750"),
        "Red",
        "M",
        "Wool",
    )


def test_the_order_keeps_the_address_it_was_delivered_to():
    user = funded_user()
    chosen = AddressFactory(user=user, recipient_name="Ada", city="London", country="GB", phone="+44 20 7946 0000")
    variant = VariantFactory(price=Decimal("10.00"))

    order = order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}], shipping_address_id=chosen.pk)
    address_update(user=user, address_id=chosen.pk, data={"city": "Leeds", "recipient_name": "Ada L."})

    order = Order.objects.get(pk=order.order.pk)
    assert (order.shipping_name, order.shipping_city, str(order.shipping_country), order.shipping_phone) == (
        "Ada",
        "London",
        "GB",
        "+44 20 7946 0000",
    )


def test_without_an_address_id_the_primary_address_is_used():
    user = funded_user()
    primary = user.addresses.get(is_primary=True)
    AddressFactory(user=user, city="Elsewhere")
    variant = VariantFactory(price=Decimal("10.00"))

    order = order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}]).order

    assert (order.shipping_city, order.shipping_line1) == (primary.city, primary.street_address)


def test_a_customer_without_an_address_cannot_order_and_nothing_is_written():
    user = CustomerFactory(user__primary_address=False).user
    variant = VariantFactory(price=Decimal("10.00"))

    with pytest.raises(AddressRequiredError):
        order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}])
    with pytest.raises(AddressRequiredError):
        checkout_quote(customer=user, lines=[OrderLine(variant_id=variant.pk, quantity=1)])
    assert not Order.objects.exists()


def test_another_customers_address_is_refused_like_one_that_does_not_exist():
    user = funded_user()
    theirs = AddressFactory()
    variant = VariantFactory(price=Decimal("10.00"))

    for address_id in (theirs.pk, 10**9):
        with pytest.raises(ShippingAddressInvalidError) as refused:
            order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}], shipping_address_id=address_id)
        assert refused.value.message == ShippingAddressInvalidError.default_message
    assert not Order.objects.exists()


def test_an_address_without_a_country_is_refused_until_edited():
    user = funded_user()
    unmapped = AddressFactory(user=user)
    type(unmapped).objects.filter(pk=unmapped.pk).update(country="")  # what migration 0006 leaves for "Narnia"
    variant = VariantFactory(price=Decimal("10.00"))

    with pytest.raises(ShippingAddressInvalidError, match="no country"):
        order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}], shipping_address_id=unmapped.pk)


def test_no_rules_means_free_delivery_and_no_tax():
    user = funded_user()
    variant = VariantFactory(price=Decimal("10.00"))

    quote = checkout_quote(customer=user, lines=[OrderLine(variant_id=variant.pk, quantity=2)])

    assert (quote.shipping, quote.tax, quote.total, quote.tax_rate) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("20.00"),
        None,
    )


def test_free_delivery_is_judged_after_the_coupon():
    ShippingRuleFactory(country="", flat_rate=Decimal("5.00"), free_over=Decimal("50.00"))
    user = funded_user()
    variant = VariantFactory(price=Decimal("50.00"))
    issued = coupon_claim(coupon_id=CouponFactory(discount_value=Decimal("1.00")).pk, user=user)
    line = [OrderLine(variant_id=variant.pk, quantity=1)]

    assert checkout_quote(customer=user, lines=line).shipping == Decimal("0.00")
    assert checkout_quote(customer=user, lines=line, coupon_ref=issued.pk).shipping == Decimal("5.00")


def test_a_rule_change_is_seen_by_the_next_quote():
    rule = ShippingRuleFactory(country="", flat_rate=Decimal("5.00"))
    user = funded_user()
    line = [OrderLine(variant_id=VariantFactory(price=Decimal("10.00")).pk, quantity=1)]
    assert checkout_quote(customer=user, lines=line).shipping == Decimal("5.00")

    rule.flat_rate = Decimal("6.00")
    rule.save()

    assert checkout_quote(customer=user, lines=line).shipping == Decimal("6.00")


# --- the staff console ---------------------------------------------------------------------------


def test_staff_set_rules_in_admin_and_the_order_admin_shows_the_address(staff_client):
    add_rule = staff_client.post(
        reverse("admin:orders_shippingrule_add"),
        {"name": "UK", "country": "GB", "flat_rate": "3.95", "per_kg": "0.00", "free_over": "40.00", "is_active": "on"},
    )
    twin = staff_client.post(
        reverse("admin:orders_shippingrule_add"),
        {"name": "UK 2", "country": "GB", "flat_rate": "1.00", "per_kg": "0.00", "is_active": "on"},
    )
    add_rate = staff_client.post(
        reverse("admin:orders_taxrate_add"),
        {"name": "VAT", "country": "GB", "region": "", "rate": "20", "is_active": "on"},
    )
    bad_rate = staff_client.post(
        reverse("admin:orders_taxrate_add"), {"name": "X", "country": "GB", "region": "Wales", "rate": "120"}
    )

    assert add_rule.status_code == 302 and add_rate.status_code == 302
    assert twin.status_code == 200 and bad_rate.status_code == 200  # the form again, with its errors
    assert ShippingRule.objects.count() == 1 and TaxRate.objects.count() == 1
    for model in ("shippingrule", "taxrate"):
        assert staff_client.get(reverse(f"admin:orders_{model}_changelist")).status_code == 200

    user = funded_user()
    london = AddressFactory(user=user, country="GB", city="London", recipient_name="Ada Lovelace")
    variant = VariantFactory(price=Decimal("10.00"))
    order = order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}], shipping_address_id=london.pk)
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.order.pk])).content.decode()
    assert "Ada Lovelace" in page and "United Kingdom" in page
    assert order.order.shipping_cost == Decimal("3.95") and order.order.tax_amount == Decimal("2.79")


def test_with_the_shared_cache_the_rules_are_read_once_until_staff_change_one(
    settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.PUBLIC_CACHE_ENABLED = True
    with django_capture_on_commit_callbacks(execute=True):
        rule = ShippingRuleFactory(country="", flat_rate=Decimal("5.00"))
    user = funded_user()
    line = [OrderLine(variant_id=VariantFactory(price=Decimal("10.00")).pk, quantity=1)]
    assert checkout_quote(customer=user, lines=line).shipping == Decimal("5.00")

    with django_assert_num_queries(2):  # the variants and the address: the rules come from the cache
        assert checkout_quote(customer=user, lines=line).shipping == Decimal("5.00")

    with django_capture_on_commit_callbacks(execute=True):
        rule.flat_rate = Decimal("6.00")
        rule.save()
    assert checkout_quote(customer=user, lines=line).shipping == Decimal("6.00")
