"""Row 5, fulfilment doors: a seller shipping lines (API and seller-center form) with tampered
ids, tracking numbers, duplicated parameters and injected status / owner / price fields.

Accepted: the shipment is seller A's, of customer A's order (the only order with seller A's
lines), covers only seller A's lines, is `shipped` whatever the request said, with the tracking
number as sent (trimmed) and the URL from the carrier's template; nothing but the order's status
moved. Rejected: nothing changed (the row's snapshot plus the shipments).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from rest_framework.test import APIClient

from orders.models import OrderItem, OrderState, OrderTracking, ShipmentStatus
from tests.factories.fulfilment import ShippingCarrierFactory

from .tampering import Door, as_form, attack, changed_beyond, injected, page, world_extras
from .world import World, access_token

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]


def prepare(world: World) -> None:
    extras = world_extras(world)
    extras["carrier"] = ShippingCarrierFactory(
        code="probe-post", tracking_url_template="https://t.example/{tracking_number}"
    )
    extras["retired"] = ShippingCarrierFactory(code="retired-post", is_active=False)


TRACKING_NUMBERS = st.one_of(
    st.sampled_from(
        ["PC-1", "  padded  ", "", " ", "x" * 64, "x" * 65, "<script>", "a/b?c=d#e", "\x00", None, 7, True]
    ),
    st.text(max_size=70),
)


def shipment_strategy(world: World) -> st.SearchStrategy:
    a_line = world.a.order.items.get().pk
    b_line = world.b.order.items.get().pk
    orders = st.sampled_from([world.a.order.pk, world.b.order.pk, 0, -1, 2**63, "1", None, [], 1.5])
    carriers = st.sampled_from(["active", "retired", 0, 999_999, "x", None])
    items = st.sampled_from(
        [None, [a_line], [b_line], [a_line, b_line], [a_line, a_line], [], [-1], ["1"], "x", [None]]
    )
    return st.tuples(orders, carriers, TRACKING_NUMBERS, items, injected())


def _carrier_id(world: World, which: Any) -> Any:
    extras = world_extras(world)
    return {"active": extras["carrier"].pk, "retired": extras["retired"].pk}.get(which, which)


def send_api_shipment(world: World, data: Any) -> Any:
    order_id, carrier, number, items, extra = data
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(world.seller_a.user)}")
    body: dict[str, Any] = {**extra, "order_id": order_id, "carrier_id": _carrier_id(world, carrier)}
    if number is not None:
        body["tracking_number"] = number
    if items is not None:
        body["item_ids"] = items
    return client.post("/api/v1/seller/shipments/", body, format="json")


def send_page_shipment(world: World, data: Any) -> Any:
    order_id, carrier, number, items, extra = data
    form: dict[str, Any] = {**extra, "carrier": _carrier_id(world, carrier), "tracking_number": number or ""}
    if isinstance(items, list):
        form["items"] = [str(item) for item in items]
    path_order = order_id if isinstance(order_id, int) and 0 < order_id < 2**31 else world.a.order.pk
    return page(world, world.seller_a.user).post(f"/seller/orders/{path_order}/", as_form(form))


def check_shipment(world: World, data: Any, response: Any, before: dict[str, Any]) -> list[str]:
    _order_id, _carrier, number, _items, _extra = data
    problems = changed_beyond(world, before, {"orders"})
    shipments = list(OrderTracking.objects.select_related("carrier"))
    if len(shipments) != 1:
        return [*problems, f"{len(shipments)} shipments after one accepted request"]
    shipment = shipments[0]
    seller_a = world.seller_a.user.seller
    lines = set(OrderItem.objects.filter(shipment_line__tracking=shipment).values_list("seller_id", "order_id"))
    if shipment.seller_id != seller_a.pk or lines != {(seller_a.pk, world.a.order.pk)}:
        problems.append(f"shipment of seller {shipment.seller_id} covering {lines}")
    if shipment.order_id != world.a.order.pk:
        problems.append(f"shipped order {shipment.order_id}, not customer A's")
    if shipment.status != ShipmentStatus.SHIPPED or shipment.delivered_at is not None:
        problems.append(f"a new shipment is {shipment.status}")
    if not shipment.carrier.is_active:
        problems.append("shipped with a retired carrier")
    if not isinstance(number, str) or shipment.tracking_number != number.strip():
        problems.append(f"tracking number {shipment.tracking_number!r} from {number!r}")
    if shipment.tracking_url != shipment.carrier.tracking_url_for(shipment.tracking_number):
        problems.append(f"tracking URL {shipment.tracking_url!r}")
    world.a.order.refresh_from_db()
    if world.a.order.status_id != OrderState.SHIPPED:
        problems.append(f"customer A's order is {world.a.order.status_id} after its only line shipped")
    return problems


def control(world: World) -> Any:
    return (world.a.order.pk, "active", "PC-1", [world.a.order.items.get().pk], {})


DOORS: list[Door] = [
    Door(
        "POST /api/v1/seller/shipments/",
        "orders_api:seller-shipments",
        shipment_strategy,
        send_api_shipment,
        check_shipment,
        lambda response: response.status_code == 201,
        prepare=prepare,
        control=control,
    ),
    Door(
        "POST /seller/orders/{id}/ (form: ship lines)",
        "orders_seller:order",
        shipment_strategy,
        send_page_shipment,
        check_shipment,
        lambda response: response.status_code == 302,
        prepare=prepare,
        control=control,
    ),
]


@pytest.mark.parametrize("door_name", [door.name for door in DOORS])
def test_tampering(door_name, scorecard_row):
    attack(next(door for door in DOORS if door.name == door_name), scorecard_row)
