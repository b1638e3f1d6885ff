"""Issue 13's journey in a real browser: buy with a new address, the seller ships it with tracking,
the customer follows the parcel and its e-mail, asks for a return, staff receive and refund it,
and the wallet shows the refund."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from orders.models import Order, OrderReturn, OrderState, ReturnStatus
from orders.services import shipment_delivery_record
from payments.models import Wallet
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD, SellerFactory, UserFactory
from tests.factories.commerce import ProductFactory, ShippingRuleFactory, VariantFactory
from tests.factories.fulfilment import ShippingCarrierFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str, path: str = "/accounts/signin/") -> None:
    page.goto(path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header summary", has_text="Account")).to_be_visible()


def test_buy_with_a_new_address_ship_track_return_and_get_store_credit(page, browser, live_server):
    customer = UserFactory(email="traveller@example.com", primary_address=False)
    wallet_charge(user=customer, amount="100.00")
    seller = SellerFactory(user__email="maker@example.com")
    kettle = ProductFactory(seller=seller, title="Copper Kettle", base_price=Decimal("40.00"))
    VariantFactory(product=kettle, name="1.5 l", price=Decimal("40.00"), stock=4)
    ShippingRuleFactory(name="UK post", country="GB", flat_rate=Decimal("5.00"))
    ShippingCarrierFactory(name="Parcel Post", code="parcelpost")
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)

    # The customer puts the kettle in the cart and checks out to an address added on the way.
    sign_in(page, customer.email)
    page.goto(f"/products/{kettle.pk}/")
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".messages")).to_contain_text("Added to your cart")
    page.goto("/orders/checkout/")
    expect(page.locator("main")).to_contain_text("You have no delivery address yet")
    page.get_by_label("Recipient").fill("Ada Traveller")
    page.locator("#id_new-street_address").fill("1 Harbour Road")
    page.get_by_label("City").fill("Leeds")
    page.get_by_label("Postal code").fill("LS1 4AP")
    page.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name="Add and deliver here").click()
    # 40.00 of goods + 5.00 delivery to the UK: the total shown is the total paid.
    page.get_by_role("button", name="Place order and pay 45.00").click()
    order = Order.objects.get(customer=customer)
    expect(page.get_by_role("heading", name=f"Order {order.order_number}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 Harbour Road")
    assert (order.shipping_city, str(order.shipping_country), order.total_amount) == ("Leeds", "GB", Decimal("45.00"))

    # The seller ships it from the seller center with a tracking number.
    seller_context = browser.new_context(base_url=live_server.url)
    seller_page = seller_context.new_page()
    sign_in(seller_page, "maker@example.com")
    seller_page.goto(reverse("orders_seller:order", args=[order.pk]))
    seller_page.get_by_label("Tracking number").fill("PP123456GB")
    seller_page.get_by_label("1 x Copper Kettle", exact=False).check()
    seller_page.get_by_role("button", name="Mark as shipped").click()
    expect(seller_page.locator(".messages")).to_contain_text("PP123456GB")
    seller_context.close()

    # The customer sees the tracking link on the order and in the e-mail.
    page.goto(f"/orders/{order.pk}/")
    track = page.get_by_role("link", name="Track parcel PP123456GB")
    expect(track).to_have_attribute("href", "https://track.example/parcelpost/PP123456GB")
    shipped_mail = [m for m in mail.outbox if "PP123456GB" in m.body]
    assert len(shipped_mail) == 1 and "https://track.example/parcelpost/PP123456GB" in shipped_mail[0].body

    # The carrier reports delivery; the customer asks to return the kettle as store credit.
    shipment_delivery_record(shipment_id=order.shipments.get().pk, actor=None)
    page.reload()
    page.get_by_role("button", name="Return items").click()
    page.get_by_label("Copper Kettle", exact=False).fill("1")
    page.get_by_label("Why are you returning it?").select_option(label="No longer needed")
    page.get_by_label("Store credit (wallet)").check()
    page.get_by_role("button", name="Ask for the return").click()
    rma = OrderReturn.objects.get(order=order)
    expect(page.locator("main")).to_contain_text("Requested")

    # Staff approve, receive, inspect and refund it in the admin, one step page each.
    staff_context = browser.new_context(base_url=live_server.url)
    staff_page = staff_context.new_page()
    staff_page.goto("/admin/login/")
    staff_page.get_by_label("Email").fill("staff@example.com")
    staff_page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    staff_page.get_by_role("button", name="Log in").click()
    for step, button in (
        ("approve", "Approve"),
        ("receive", "Record receipt"),
        ("inspect", "Record inspection"),
        ("refund", "Refund"),
    ):
        staff_page.goto(reverse(f"admin:orders_orderreturn_{step}", args=[rma.pk]))
        if step == "inspect":
            staff_page.get_by_label("Condition").select_option(label="As new")
        staff_page.get_by_role("button", name=button, exact=True).click()
        expect(staff_page.locator(".messagelist, .messages")).to_contain_text("is now")
    staff_context.close()
    rma.refresh_from_db()
    assert rma.status == ReturnStatus.REFUNDED

    # The wallet shows the kettle's 40.00 back (delivery is not refunded).
    page.goto("/wallet/")
    expect(page.locator("#wallet-balance")).to_contain_text("95.00")
    assert Wallet.objects.get(user=customer).balance == Decimal("95.00")
    # Everything it held came back and was refunded: the order is refunded (its delivery is not).
    order.refresh_from_db()
    assert order.status_id == OrderState.REFUNDED
