"""Every route of the shop, from the URL resolver, and real ids to fill them with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .world import World

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>|\(\?P<(?P<regex_name>\w+)>")


@dataclass(frozen=True)
class Route:
    name: str | None  # namespaced, e.g. "orders:detail"; None for unnamed patterns
    route: str  # the full pattern, e.g. "orders/<int:pk>/"
    params: tuple[str, ...]
    view: str
    callback: object = field(default=None, compare=False, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def _walk(patterns: list, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = None
            if pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            route = prefix + str(pattern.pattern)
            params = tuple(m.group("name") or m.group("regex_name") for m in PARAM.finditer(route))
            callback = pattern.callback
            view = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
            yield Route(
                name=name, route=route, params=params, view=getattr(view, "__name__", str(view)), callback=callback
            )


METHODS = ("get", "post", "put", "patch", "delete")
WRITE_METHODS = ("post", "put", "patch", "delete")


def methods_of(route: Route) -> list[str]:
    """The HTTP methods a route's view answers (row 4 probes each; row 5 needs a door for each write)."""
    view = route.callback
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if view_class is None:  # a function view (the admin's): it may answer GET and POST
        return ["get", "post"]
    allowed = [m for m in METHODS if m in getattr(view_class, "http_method_names", METHODS)]
    return [m for m in allowed if hasattr(view_class, m)] or ["get"]


def write_methods_of(route: Route) -> list[str]:
    return [m for m in methods_of(route) if m in WRITE_METHODS]


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def reversible_routes() -> list[Route]:
    """Named routes, each once (the names `reverse()` knows)."""
    seen, found = set(), []
    for route in all_routes():
        if route.name and route.name not in seen:
            seen.add(route.name)
            found.append(route)
    return found


# The owner's object behind each route parameter that names one (the authorization matrix
# probes these as other users). A new route with an id must be added here, or row 4 fails.
def owned_kwargs(name: str, world: World) -> dict[str, object] | None:
    """Ids of customer A's / seller A's objects for a route, or None when the route names none."""
    a, seller = world.a, world.seller_a
    table: dict[str, dict[str, object]] = {
        "accounts:address_edit": {"pk": a.address.pk},
        "accounts:address_delete": {"pk": a.address.pk},
        "accounts:address_make_primary": {"pk": a.address.pk},
        "accounts:session_end": {"pk": a.api_session.pk},
        "orders:detail": {"pk": a.order.pk},
        "orders:cancel": {"pk": a.order.pk},
        "carts:item_update": {"pk": a.cart_item.pk},
        "carts:item_remove": {"pk": a.cart_item.pk},
        "carts:recover": {"token": _recovery_token(a)},  # abandoned-cart recovery link
        "accounts_api:address": {"address_id": a.address.pk},
        "accounts_api:address_make_primary": {"address_id": a.address.pk},
        "accounts_api:session": {"session_id": a.api_session.pk},
        "orders_api:order-detail": {"pk": a.order.pk},
        "orders_api:order-cancel": {"pk": a.order.pk},
        # --- returns (RMA) ---
        "orders:return_create": {"pk": a.order_return.order_id if a.order_return else 0},
        "orders:return_detail": {"pk": a.order_return.pk if a.order_return else 0},
        "orders_api:order-returns": {"pk": a.order_return.order_id if a.order_return else 0},
        "orders_api:return-detail": {"pk": a.order_return.pk if a.order_return else 0},
        # Cancellations and order issues (branch `cancel`)
        "orders:issue_report": {"pk": a.order.pk},
        "orders:issue": {"pk": a.issue.pk},
        "orders:issue_rate": {"pk": a.issue.pk},
        "orders_api:order-issues": {"pk": a.order.pk},
        "orders_api:issue-detail": {"pk": a.issue.pk},
        "orders_seller:issue": {"pk": a.issue.pk},  # about seller A's line: seller A's to answer
        "accounts:notification_read": {"pk": a.notification.pk},
        "accounts_api:notification_read": {"notification_id": a.notification.pk},
        "inventory:seller_product": {"pk": seller.product.pk},
        "inventory:seller_restock": {"variant_id": seller.variant.pk},
        # Fulfilment: customer A's order holds seller A's line only.
        "orders:invoice": {"pk": a.order.pk},
        "orders_api:order-shipments": {"pk": a.order.pk},
        "orders_seller:order": {"order_id": a.order.pk},
        # Card payments (issue 14)
        "orders:payment_return": {"pk": a.order.pk},
        "orders:pay": {"pk": a.order.pk},
        "orders_api:order-pay": {"pk": a.order.pk},
        # Payments (issue 14): customer A's order's payment.
        "payments_api:payment_detail": {"pk": a.order.payments.values_list("pk", flat=True).first()},
        # Saved payment methods (branch pmeth)
        "payments:method_remove": {"pk": _method_pk(a)},
        "payments:method_default": {"pk": _method_pk(a)},
        "payments_api:payment_method": {"method_id": _method_pk(a)},
        "payments_api:payment_method_default": {"method_id": _method_pk(a)},
        # Refunds: store credit staff gave customer A.
        "payments_api:refund": {"pk": a.refund.pk if a.refund else 0},
        # The cart API (issue 15)
        "carts_api:cart-item": {"pk": a.cart_item.pk},
        # Saved carts (branch csaved)
        "carts:saved_detail": {"pk": _saved_cart_pk(a)},
        "carts:saved_restore": {"pk": _saved_cart_pk(a)},
        "carts:saved_delete": {"pk": _saved_cart_pk(a)},
        "saved_carts_api:saved-cart-detail": {"pk": _saved_cart_pk(a)},
        "saved_carts_api:saved-cart-restore": {"pk": _saved_cart_pk(a)},
        # Wishlists (issue 15, branch cwish): customer A's default list and its one item.
        **_wishlist_kwargs(a),
    }
    return table.get(name)


def _saved_cart_pk(customer: object) -> int:
    saved = getattr(customer, "saved_cart", None)
    return saved.pk if saved is not None else 0


def _recovery_token(customer: object) -> str:
    """A valid recovery link token for the customer's cart (its abandonment recorded for the probe)."""
    from carts.abandonment import recovery_token_for
    from carts.models import AbandonedCart

    cart_item = customer.cart_item  # type: ignore[attr-defined]
    abandoned, _ = AbandonedCart.objects.get_or_create(
        cart_id=cart_item.cart_id,
        defaults={"customer": customer.user, "abandoned_at": cart_item.created_at},  # type: ignore[attr-defined]
    )
    return recovery_token_for(abandoned)


def _wishlist_kwargs(customer: object) -> dict[str, dict[str, object]]:
    item = getattr(customer, "wishlist_item", None)
    wishlist_id = item.wishlist_id if item is not None else 0
    both = {"pk": wishlist_id, "item_id": item.pk if item is not None else 0}
    cart_item = getattr(customer, "cart_item", None)
    return {
        "wishlists:detail": {"pk": wishlist_id},
        "wishlists:delete": {"pk": wishlist_id},
        "wishlists:share_link": {"pk": wishlist_id},
        "wishlists:item_update": both,
        "wishlists:item_remove": both,
        "wishlists:item_move_to_cart": both,
        "wishlists:from_cart": {"item_id": cart_item.pk if cart_item is not None else 0},
        "wishlists_api:wishlist": {"pk": wishlist_id},
        "wishlists_api:items": {"pk": wishlist_id},
        "wishlists_api:item": both,
        "wishlists_api:item_move_to_cart": both,
    }


def _method_pk(customer: object) -> int:
    method = getattr(customer, "payment_method", None)
    return method.pk if method is not None else 0


def public_kwargs(name: str, world: World) -> dict[str, object] | None:
    """Ids of public objects (products, categories, coupons) for a route, or None."""
    table: dict[str, dict[str, object]] = {
        "catalog:product_detail": {"pk": world.seller_a.product.pk},
        "catalog:category_detail": {"slug": world.category.slug},
        "catalog_api:product-detail": {"pk": world.seller_a.product.pk},
        "promotions:coupon_claim": {"coupon_id": world.spare_coupon.pk},
        "promotions_api:coupon_claim": {"coupon_id": world.spare_coupon.pk},
        "accounts:password_reset_confirm": world.reset_link(world.a.user),
        # The sandbox processor's pages and the processors' webhooks (issue 14).
        "sandbox:confirm": {"reference": "pi_000000000000000000000000"},
        "payments_api:webhook": {"gateway": "sandbox"},
        # Customer A's wishlist is private: its shared link is a 404 to everyone (branch cwish).
        "wishlists:shared": {"token": world.a.wishlist_item.wishlist.share_token if world.a.wishlist_item else "x"},
    }
    return table.get(name)


def admin_kwargs(route: Route) -> dict[str, object]:
    """Real ids for an admin route: the first row of the model the route is for."""
    kwargs: dict[str, object] = {}
    parts = route.route.split("/")
    if "app_label" in route.params:
        kwargs["app_label"] = "orders"
    if "object_id" in route.params or "id" in route.params:
        model = None
        if len(parts) > 3 and parts[1] != "r":
            try:
                model = apps.get_model(parts[1], parts[2])
            except (LookupError, ValueError):
                model = None
        manager = getattr(model, "all_objects", None) or (model._default_manager if model else None)
        first = manager.order_by("pk").first() if manager is not None else None
        kwargs["object_id" if "object_id" in route.params else "id"] = str(first.pk) if first is not None else "1"
    if "content_type_id" in route.params:
        from catalog.models import Product

        kwargs["content_type_id"] = ContentType.objects.get_for_model(Product).pk
        kwargs["object_id"] = Product.objects.order_by("pk").first().pk
    return kwargs


def url_for(route: Route, world: World) -> str | None:
    """A concrete path for a reversible route, with real ids (customer A's where owned)."""
    assert route.name is not None
    if not route.params:
        return reverse(route.name)
    if route.is_admin:
        kwargs = admin_kwargs(route)
    else:
        kwargs = owned_kwargs(route.name, world) or public_kwargs(route.name, world) or {}
    if set(kwargs) != set(route.params):
        return None
    return reverse(route.name, kwargs=kwargs)
