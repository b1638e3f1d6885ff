"""Returns (RMA) at the service level: who may return what and when, every step allowed and
refused (nothing changed), stock back once, money back within what was paid, the e-mails."""

from decimal import Decimal

import pytest
from django.core import mail

from common.exceptions import InvalidTransitionError, NotFoundError
from inventory.models import ChangeType, InventoryHistory, InventoryItem
from orders.exceptions import InvalidReturnError, ReturnNotAllowedError, ReturnQuantityError
from orders.models import (
    NotificationKind,
    Order,
    OrderHistory,
    OrderItem,
    OrderNotification,
    OrderReturn,
    ReturnStatus,
)
from orders.notifications import order_email_render
from orders.selectors import order_item_delivered_at, order_returnable_lines
from orders.services import (
    ReturnLine,
    return_approve,
    return_inspect,
    return_receive,
    return_refund,
    return_reject,
    return_request,
)
from orders.services.returns import line_paid_value
from payments.exceptions import RefundExceedsPaymentError
from payments.models import Refund, RefundDestination, Wallet, WalletEntry
from payments.services import order_refund

from .conftest import ledger_sum, place
from .returns_helpers import deliver, delivered_order, request_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, variant, superuser):
    return delivered_order(customer, variant, superuser, quantity=2)


def stock(variant) -> int:
    return InventoryItem.objects.get(variant=variant).quantity


def snapshot(rma):
    rma.refresh_from_db()
    return (
        rma.status,
        OrderHistory.objects.filter(order_id=rma.order_id).count(),
        OrderNotification.objects.filter(order=rma.order).count(),
    )


# --- asking ----------------------------------------------------------------------------------


def test_a_delivered_line_can_be_returned(order, customer):
    item = order.items.get()

    rma = request_return(order, customer, quantity=2, reason="damaged", reason_text=" Cracked lid ")

    assert rma.status == ReturnStatus.REQUESTED and rma.customer == customer
    assert [(line.order_item_id, line.quantity, line.value) for line in rma.items.all()] == [
        (item.pk, 2, Decimal("40.00"))
    ]
    assert rma.items_value == Decimal("40.00") and rma.reason_text == "Cracked lid"
    assert rma.customer_pays_shipping is False  # damaged: the shop's fault
    history = OrderHistory.objects.filter(order=order, change_type="return").get()
    assert (history.field_name, history.new_value, history.actor) == ("return_status", "requested", customer)
    note = OrderNotification.objects.get(order=order, kind=NotificationKind.RETURN_REQUESTED)
    assert note.context == {"return_id": rma.pk}
    assert note.dedupe_key == f"order:{order.pk}:return_requested:return:{rma.pk}"


def test_no_longer_needed_means_the_customer_pays_the_return_shipping(order, customer):
    assert request_return(order, customer, reason="no_longer_needed").customer_pays_shipping is True


def test_a_line_not_delivered_cannot_be_returned(customer, variant, superuser):
    order = place(customer, variant, 1)
    with pytest.raises(ReturnNotAllowedError) as error:
        request_return(order, customer)
    assert error.value.extra["why"] == "not_delivered"
    assert not OrderReturn.objects.exists()


def test_the_window_counts_from_delivery(customer, variant, superuser):
    inside = delivered_order(customer, variant, superuser, quantity=1, days_ago=29)
    outside = delivered_order(customer, variant, superuser, quantity=1, days_ago=31)

    assert request_return(inside, customer).status == ReturnStatus.REQUESTED
    with pytest.raises(ReturnNotAllowedError) as error:
        request_return(outside, customer)
    assert error.value.extra["why"] == "window_closed"
    assert OrderReturn.objects.filter(order=outside).count() == 0


def test_the_window_is_a_setting(customer, variant, superuser, settings):
    settings.ORDER_RETURN_WINDOW_DAYS = 5
    order = delivered_order(customer, variant, superuser, quantity=1, days_ago=6)
    with pytest.raises(ReturnNotAllowedError):
        request_return(order, customer)


def test_delivered_at_is_the_time_of_the_delivered_status(order):
    item = order.items.get()
    delivered = OrderHistory.objects.get(order=order, new_value="delivered").created_at
    assert order_item_delivered_at(item) == delivered
    [line] = order_returnable_lines(order=order)
    assert (line.delivered_at, line.returnable) == (delivered, 2)


def test_never_more_than_bought_less_what_is_being_returned(order, customer):
    request_return(order, customer, quantity=1)
    with pytest.raises(ReturnQuantityError) as error:
        request_return(order, customer, quantity=2)
    assert error.value.extra == {"order_item_id": order.items.get().pk, "returnable": 1, "requested": 2}
    request_return(order, customer, quantity=1)
    with pytest.raises(ReturnQuantityError):
        request_return(order, customer, quantity=1)
    assert OrderReturn.objects.count() == 2


def test_a_rejected_return_gives_its_units_back_to_ask_again(order, customer, superuser):
    rma = request_return(order, customer, quantity=2)
    return_reject(return_id=rma.pk, actor=superuser, reason="Photos show wear")
    assert request_return(order, customer, quantity=2).status == ReturnStatus.REQUESTED


def test_a_line_named_twice_counts_once_with_both_quantities(order, customer):
    item_id = order.items.get().pk
    rma = return_request(
        order_id=order.pk, user=customer, lines=[ReturnLine(item_id, 1), ReturnLine(item_id, 1)], reason="other"
    )
    assert [(line.order_item_id, line.quantity) for line in rma.items.all()] == [(item_id, 2)]
    with pytest.raises(ReturnQuantityError):
        return_request(
            order_id=order.pk, user=customer, lines=[ReturnLine(item_id, 1), ReturnLine(item_id, 1)], reason="other"
        )


def test_another_customers_order_does_not_exist(order, other_customer):
    with pytest.raises(NotFoundError):
        request_return(order, other_customer)


@pytest.mark.parametrize(
    ("lines", "kwargs", "field"),
    [
        ([], {}, "items"),
        ([("item", 0)], {}, "items"),
        ([("other", 1)], {}, "items"),
        ([("item", 1)], {"reason": "bored"}, "reason"),
        ([("item", 1)], {"destination": "bank"}, "destination"),
    ],
)
def test_bad_requests_are_refused(order, customer, variant, superuser, lines, kwargs, field):
    other_item = delivered_order(customer, variant, superuser, quantity=1).items.get()
    ids = {"item": order.items.get().pk, "other": other_item.pk}
    with pytest.raises(InvalidReturnError) as error:
        return_request(
            order_id=order.pk,
            user=customer,
            lines=[ReturnLine(order_item_id=ids[name], quantity=q) for name, q in lines],
            **{"reason": "other", **kwargs},
        )
    assert error.value.extra["field"] == field
    assert not OrderReturn.objects.exists()


def test_the_value_of_a_line_is_what_was_paid_for_it():
    order = Order(subtotal=Decimal("100.00"), discount_amount=Decimal("10.00"))
    item = OrderItem(unit_price=Decimal("33.33"))
    assert line_paid_value(order=order, item=item, quantity=1) == Decimal("30.00")  # 29.997 rounds half up
    assert line_paid_value(order=Order(subtotal=Decimal("50.00")), item=item, quantity=3) == Decimal("99.99")


# --- staff steps -----------------------------------------------------------------------------


def test_the_whole_way_to_a_refund(order, customer, superuser, variant):
    before_stock, before_balance = stock(variant), Wallet.objects.get(user=customer).balance
    rma = request_return(order, customer, quantity=2)

    return_approve(
        return_id=rma.pk,
        actor=superuser,
        return_shipping_cost=Decimal("4.50"),
        restocking_fee=Decimal("2.00"),
        notes="ok",
    )
    return_receive(return_id=rma.pk, actor=superuser, tracking_number="RT123", carrier="Post")
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=5, inspection_notes="sealed")
    return_refund(return_id=rma.pk, actor=superuser)

    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED
    assert rma.refund_amount == Decimal("33.50")  # 40.00 - 2.00 fee - 4.50 shipping the customer pays
    assert (rma.return_tracking_number, rma.return_carrier, rma.inspection_notes) == ("RT123", "Post", "sealed")
    for step in ("approved", "received", "inspected", "refunded"):
        assert getattr(rma, f"{step}_at") and getattr(rma, f"{step}_by") == superuser
    assert stock(variant) == before_stock + 2
    ledger = InventoryHistory.objects.filter(change_type=ChangeType.RETURN)
    assert [(m.quantity_delta, m.reference) for m in ledger] == [(2, f"return:{rma.pk}")]
    wallet = Wallet.objects.get(user=customer)
    assert wallet.balance == before_balance + Decimal("33.50") == ledger_sum(customer)
    assert Refund.objects.get(order=order).amount == Decimal("33.50")
    assert list(OrderHistory.objects.filter(order=order, change_type="return").values_list("new_value", flat=True)) == [
        "requested",
        "approved",
        "received",
        "inspected",
        "refunded",
    ]
    kinds = set(OrderNotification.objects.filter(order=order).values_list("kind", flat=True))
    assert {"return_requested", "return_approved", "return_received", "return_inspected", "return_refunded"} <= kinds


def test_store_credit_goes_to_the_wallet_as_store_credit(order, customer, superuser):
    rma = request_return(order, customer, quantity=1, reason="damaged", destination="wallet")
    return_approve(return_id=rma.pk, actor=superuser)
    return_receive(return_id=rma.pk, actor=superuser)
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=4)
    return_refund(return_id=rma.pk, actor=superuser)

    entry = WalletEntry.objects.filter(wallet__user=customer).order_by("-id").first()
    assert (entry.entry_type, entry.amount, entry.reference) == ("refund", Decimal("20.00"), f"return:{rma.pk}")
    refund = Refund.objects.get(order=order)
    assert (refund.destination, refund.amount) == (RefundDestination.WALLET, Decimal("20.00"))


def test_damaged_goods_do_not_go_back_to_stock(order, customer, superuser, variant):
    before = stock(variant)
    rma = request_return(order, customer, quantity=1)
    return_approve(return_id=rma.pk, actor=superuser)
    return_receive(return_id=rma.pk, actor=superuser)
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=2)

    rma.refresh_from_db()
    assert rma.restocked_at is None and stock(variant) == before
    assert not InventoryHistory.objects.filter(change_type=ChangeType.RETURN).exists()


def test_inspecting_twice_restocks_once(order, customer, superuser, variant):
    before = stock(variant)
    rma = request_return(order, customer, quantity=2)
    return_approve(return_id=rma.pk, actor=superuser)
    return_receive(return_id=rma.pk, actor=superuser)
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=5)
    with pytest.raises(InvalidTransitionError):
        return_inspect(return_id=rma.pk, actor=superuser, condition_rating=5)
    assert stock(variant) == before + 2
    assert InventoryHistory.objects.filter(change_type=ChangeType.RETURN).count() == 1


def test_fees_never_make_the_refund_negative(order, customer, superuser):
    rma = request_return(order, customer, quantity=1)
    return_approve(return_id=rma.pk, actor=superuser, return_shipping_cost=Decimal("15.00"), restocking_fee="10")
    return_receive(return_id=rma.pk, actor=superuser)
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=4)
    return_refund(return_id=rma.pk, actor=superuser)
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED and rma.refund_amount == Decimal("0.00")
    assert not Refund.objects.filter(order=order).exists()


def test_a_refund_beyond_what_was_paid_is_refused_and_changes_nothing(order, customer, superuser):
    rma = request_return(order, customer, quantity=2, reason="damaged")
    return_approve(return_id=rma.pk, actor=superuser)
    return_receive(return_id=rma.pk, actor=superuser)
    return_inspect(return_id=rma.pk, actor=superuser, condition_rating=4)
    order_refund(order_id=order.pk, amount=Decimal("30.00"), reason="goodwill", actor=superuser, destination="wallet")
    balance = Wallet.objects.get(user=customer).balance
    before = snapshot(rma)

    with pytest.raises(RefundExceedsPaymentError) as error:
        return_refund(return_id=rma.pk, actor=superuser)

    assert error.value.extra == {"refundable": "10.00", "requested": "40.00"}
    assert snapshot(rma) == before and before[0] == ReturnStatus.INSPECTED
    assert Wallet.objects.get(user=customer).balance == balance == ledger_sum(customer)


def test_negative_costs_are_refused(order, customer, superuser):
    rma = request_return(order, customer)
    with pytest.raises(InvalidReturnError):
        return_approve(return_id=rma.pk, actor=superuser, restocking_fee=Decimal("-1"))
    with pytest.raises(InvalidReturnError):
        return_reject(return_id=rma.pk, actor=superuser, reason="  ")
    assert snapshot(rma)[0] == ReturnStatus.REQUESTED


def test_a_bad_condition_is_refused(order, customer, superuser):
    rma = request_return(order, customer)
    return_approve(return_id=rma.pk, actor=superuser)
    return_receive(return_id=rma.pk, actor=superuser)
    with pytest.raises(InvalidReturnError):
        return_inspect(return_id=rma.pk, actor=superuser, condition_rating=6)
    assert snapshot(rma)[0] == ReturnStatus.RECEIVED


STEPS = {
    "approve": lambda pk, staff: return_approve(return_id=pk, actor=staff),
    "reject": lambda pk, staff: return_reject(return_id=pk, actor=staff, reason="no"),
    "receive": lambda pk, staff: return_receive(return_id=pk, actor=staff),
    "inspect": lambda pk, staff: return_inspect(return_id=pk, actor=staff, condition_rating=4),
    "refund": lambda pk, staff: return_refund(return_id=pk, actor=staff),
}
# The steps that lead to each status, and the steps allowed from it.
PATH = {
    "requested": [],
    "approved": ["approve"],
    "received": ["approve", "receive"],
    "inspected": ["approve", "receive", "inspect"],
    "refunded": ["approve", "receive", "inspect", "refund"],
    "rejected": ["reject"],
}
ALLOWED = {
    "requested": {"approve", "reject"},
    "approved": {"receive", "reject"},
    "received": {"inspect"},
    "inspected": {"refund"},
    "refunded": set(),
    "rejected": set(),
}


@pytest.mark.parametrize("status", list(PATH))
@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_from_every_status(order, customer, superuser, variant, status, step):
    rma = request_return(order, customer, quantity=1)
    for done in PATH[status]:
        STEPS[done](rma.pk, superuser)
    before, stock_before, balance = snapshot(rma), stock(variant), Wallet.objects.get(user=customer).balance

    if step in ALLOWED[status]:
        STEPS[step](rma.pk, superuser)
        rma.refresh_from_db()
        assert rma.status != status
    else:
        with pytest.raises(InvalidTransitionError) as error:
            STEPS[step](rma.pk, superuser)
        assert error.value.extra["from"] == status
        assert snapshot(rma) == before
        assert stock(variant) == stock_before and Wallet.objects.get(user=customer).balance == balance


def test_an_unknown_return_is_not_found(superuser):
    with pytest.raises(NotFoundError):
        return_approve(return_id=999999, actor=superuser)


def test_every_return_email_renders(order, customer, superuser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rma = request_return(order, customer, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        for step in ("approve", "receive", "inspect", "refund"):
            STEPS[step](rma.pk, superuser)
    with django_capture_on_commit_callbacks(execute=True):
        rejected = request_return(order, customer, quantity=1)
        return_reject(return_id=rejected.pk, actor=superuser, reason="Worn")

    subjects = [m.subject for m in mail.outbox]
    number = order.order_number
    assert f"We received your return request for order {number}" in subjects
    assert f"Your return for order {number} is refunded" in subjects
    assert f"Your return for order {number} was not accepted" in subjects
    assert len([s for s in subjects if "return" in s.lower()]) == 7
    refunded = next(m for m in mail.outbox if m.subject.endswith("is refunded"))
    assert f"RMA-{rma.pk}" in refunded.body and "20.00" in refunded.body
    assert "Worn" in next(m for m in mail.outbox if "not accepted" in m.subject).body
    for note in OrderNotification.objects.filter(order=order, kind__startswith="return"):
        assert order_email_render(note) is not None


def test_a_delivered_order_can_be_returned_after_deliver_helper(customer, variant, superuser):
    order = deliver(place(customer, variant, 3), superuser)
    rma = request_return(order, customer, quantity=3)
    assert rma.items_value == Decimal("60.00")
