"""Factories and helpers for fulfilment: carriers, and an order with lines from two sellers."""

from dataclasses import dataclass
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Seller, User
from orders.models import Order, OrderItem, ShippingCarrier
from orders.services import order_place
from payments.services import wallet_charge

from .accounts import CustomerFactory, SellerFactory
from .commerce import VariantFactory


class ShippingCarrierFactory(DjangoModelFactory):
    class Meta:
        model = ShippingCarrier
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Carrier {n}")
    code = factory.Sequence(lambda n: f"carrier-{n}")
    tracking_url_template = factory.LazyAttribute(lambda c: f"https://track.example/{c.code}/{{tracking_number}}")


@dataclass
class TwoSellerOrder:
    """A paid order of `customer` with one line of seller A and two lines of seller B."""

    order: Order
    customer: User
    seller_a: Seller
    seller_b: Seller
    a_lines: list[OrderItem]
    b_lines: list[OrderItem]


def two_seller_order(customer: User | None = None, seller_a: Seller | None = None) -> TwoSellerOrder:
    customer = customer or CustomerFactory().user
    wallet_charge(user=customer, amount="500.00")
    seller_a = seller_a or SellerFactory()
    seller_b = SellerFactory()
    variants = [
        VariantFactory(product__seller=seller_a, price=Decimal("10.00")),
        VariantFactory(product__seller=seller_b, price=Decimal("5.00")),
        VariantFactory(product__seller=seller_b, price=Decimal("2.50")),
    ]
    order = order_place(user=customer, lines=[{"variant_id": v.pk, "quantity": 1} for v in variants]).order
    items = list(order.items.order_by("id"))
    return TwoSellerOrder(
        order=order,
        customer=customer,
        seller_a=seller_a,
        seller_b=seller_b,
        a_lines=[i for i in items if i.seller_id == seller_a.pk],
        b_lines=[i for i in items if i.seller_id == seller_b.pk],
    )
