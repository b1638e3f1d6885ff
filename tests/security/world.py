"""A small shop with two of every kind of owner, built through the services, for the rows that
probe every route (2 headers, 4 authorization, 5 tampering).

Customers A and B each have a funded wallet, an address, an API sign-in, a claimed coupon, a
paid order (with its in-app notification and a reported issue), a cart with one item (also kept
as a saved cart) and a saved card;
sellers A and B each have a product with stock; one staff superuser. Every object a route can
name by id is here, and each has exactly one owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Address, User, UserSession
from accounts.services import address_create, user_api_sign_in
from carts.models import CartItem, SavedCart, WishlistItem
from carts.saved import saved_cart_create
from carts.services import cart_add_item
from carts.wishlists import wishlist_item_add
from catalog.models import Category, Product, ProductVariant
from common.models import Channel, Notification
from inventory.models import InventoryItem
from inventory.services import stock_restock
from orders.models import Order, OrderIssue, OrderReturn, OrderState
from orders.services import ReturnLine, issue_report, order_place, order_transition, return_request
from payments.gateways.sandbox import sandbox_tokenize
from payments.models import PaymentMethod, Refund
from payments.services import wallet_charge
from payments.services.methods import payment_method_add
from payments.services.refunds import refund_request
from promotions.models import Coupon, IssuedCoupon
from promotions.services import coupon_claim
from tests.factories.accounts import AdministratorFactory, CustomerFactory, SellerFactory
from tests.factories.commerce import CategoryFactory, CouponFactory, VariantFactory


@dataclass
class Customer:
    user: User
    address: Address
    api_session: UserSession
    issued_coupon: IssuedCoupon
    order: Order
    issue: OrderIssue  # reported about `order`, whose one line is the seller's (so theirs to answer)
    cart_item: CartItem
    token: str
    notification: Notification  # the in-app twin of the order's confirmation e-mail
    order_return: OrderReturn | None = None  # of a second order, delivered (see _returned)
    payment_method: PaymentMethod | None = None  # a saved sandbox card, the customer's default
    refund: Refund | None = None  # store credit staff gave from the second order's payment (see _refunded)
    saved_cart: SavedCart | None = None  # a copy of the cart, saved for later
    wishlist_item: WishlistItem | None = None  # on the customer's default (private) wishlist; notes only theirs


@dataclass
class SellerWorld:
    user: User
    product: Product
    variant: ProductVariant
    inventory_item: InventoryItem


@dataclass
class World:
    a: Customer
    b: Customer
    seller_a: SellerWorld
    seller_b: SellerWorld
    staff: User
    category: Category
    coupon: Coupon
    spare_coupon: Coupon

    def reset_link(self, user: User) -> dict[str, str]:
        return {
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }


def access_token(user: User) -> str:
    return str(AccessToken.for_user(user))


def _seller(category: Category, price: str) -> SellerWorld:
    seller = SellerFactory()
    variant = VariantFactory(product__seller=seller, product__category=category, price=Decimal(price), stock=False)
    stock_restock(variant_id=variant.pk, quantity=500, reason="world")
    return SellerWorld(
        user=seller.user,
        product=variant.product,
        variant=variant,
        inventory_item=InventoryItem.objects.get(variant=variant),
    )


def _customer(variant: ProductVariant, coupon: Coupon, n: int) -> Customer:
    user = CustomerFactory(user__first_name=f"Customer{n}", user__primary_address=False).user
    wallet_charge(user=user, amount="500.00")
    address = address_create(
        user=user,
        data={
            "recipient_name": f"Customer {n}",
            "street_address": f"{n} Main Street",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
    )
    user_api_sign_in(user=user, user_agent="ShopApp/1.0", ip_address="198.51.100.7")
    issued = coupon_claim(coupon_id=coupon.pk, user=user)
    order = order_place(user=user, lines=[{"variant_id": variant.pk, "quantity": 1}]).order
    issue = issue_report(order_id=order.pk, user=user, issue_type="damaged", description=f"Customer {n}: dented")
    cart_item = cart_add_item(user=user, variant_id=variant.pk, quantity=1)
    saved_cart = saved_cart_create(user=user, name=f"Customer {n}'s saved cart")
    card = sandbox_tokenize(number="4242424242424242", exp_month=12, exp_year=timezone.localdate().year + 3, cvc="123")
    payment_method = payment_method_add(
        user=user, token=card.token, billing={"billing_name": f"Customer {n}", "billing_country": "US"}
    )
    return Customer(
        user=user,
        address=address,
        api_session=UserSession.objects.filter(user=user).latest("pk"),
        issued_coupon=issued,
        order=order,
        issue=issue,
        cart_item=cart_item,
        token=access_token(user),
        notification=Notification.objects.get(order=order, kind="confirmation", channel=Channel.IN_APP),
        payment_method=payment_method,
        saved_cart=saved_cart,
        wishlist_item=wishlist_item_add(user=user, variant_id=variant.pk, notes=f"Customer {n}: wish", priority=4),
    )


def _refunded(customer: Customer, staff: User) -> Refund:
    """A little store credit staff gave from the payment of the customer's returned order."""
    assert customer.order_return is not None
    payment = customer.order_return.order.payments.get()
    return refund_request(
        payment_id=payment.pk, amount="1.00", reason="Goodwill", actor=staff, destination="wallet"
    ).refund


def _returned(customer: Customer, variant: ProductVariant, staff: User) -> OrderReturn:
    """A second order of the customer, two of one line delivered, with a return requested for one."""
    order = order_place(user=customer.user, lines=[{"variant_id": variant.pk, "quantity": 2}]).order
    for to in (OrderState.PROCESSING, OrderState.SHIPPED, OrderState.DELIVERED):
        order_transition(order_id=order.pk, to=to, actor=staff)
    line = ReturnLine(order_item_id=order.items.get().pk, quantity=1)
    return return_request(order_id=order.pk, user=customer.user, lines=[line], reason="other")


def build_world() -> World:
    category = CategoryFactory()
    coupon = CouponFactory(initial_quantity=10)
    spare_coupon = CouponFactory(initial_quantity=10)
    seller_a = _seller(category, "12.50")
    seller_b = _seller(category, "7.25")
    a = _customer(seller_a.variant, coupon, 1)
    b = _customer(seller_b.variant, coupon, 2)
    staff = AdministratorFactory(user__is_superuser=True).user
    a.order_return = _returned(a, seller_a.variant, staff)
    b.order_return = _returned(b, seller_b.variant, staff)
    a.refund = _refunded(a, staff)
    b.refund = _refunded(b, staff)
    return World(
        a=a,
        b=b,
        seller_a=seller_a,
        seller_b=seller_b,
        staff=staff,
        category=category,
        coupon=coupon,
        spare_coupon=spare_coupon,
    )
