"""Row 9: idempotency (Stripe's Idempotency-Key scheme) through the API and the checkout form.

50 concurrent orders with one Idempotency-Key make one order, and every answer carries the same
order (the first 201, the replays 200 with an identical body); the same key with a different body
is a 422; a checkout form submitted twice at once makes one order.
"""

import re
import uuid
from decimal import Decimal

import pytest
import requests

from orders.models import Order
from payments.models import Wallet
from payments.services import wallet_charge
from tests.factories.accounts import DEFAULT_PASSWORD

from .http import bearer, fire, many_customers, server_errors, statuses
from .test_double_spend import variant

pytestmark = [pytest.mark.scorecard(row=9), pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_requests_with_one_key(shop_server, scorecard_row):
    item = variant("9.99", 1000)
    (customer,) = many_customers(1, "retrier")
    wallet_charge(user=customer, amount="1000.00")
    url = f"{shop_server.url}/api/v1/orders/"
    headers = {**bearer(customer), "Idempotency-Key": f"checkout-{uuid.uuid4()}"}
    body = {"items": [{"variant_id": item.pk, "quantity": 2}]}
    answers = fire([lambda s: s.post(url, json=body, headers=headers, timeout=120) for _ in range(50)], concurrency=50)

    orders = Order.objects.filter(customer=customer).count()
    bodies = {repr(a.body) for a in answers}
    created = [a for a in answers if a.status == 201]
    replays = [a for a in answers if a.status == 200]
    marked = sum(1 for a in replays if a.headers.get("Idempotent-Replayed") == "true")
    balance = Wallet.objects.get(user=customer).balance
    debited_once = balance == Decimal("1000.00") - 2 * Decimal("9.99")
    ok = (
        orders == 1
        and len(created) == 1
        and len(replays) == 49
        and len(bodies) == 1
        and marked == 49
        and debited_once
        and not server_errors(answers)
    )
    passed = scorecard_row(
        "50 concurrent requests with one Idempotency-Key",
        f"{orders} order, {len(bodies)} distinct bodies ({statuses(answers)}; {marked} marked Idempotent-Replayed), "
        f"wallet debited {'once' if debited_once else 'WRONGLY: ' + str(balance)}",
        ok,
    )
    assert passed


def test_same_key_with_a_different_body_is_a_422(shop_server, scorecard_row):
    item = variant("4.00", 1000)
    (customer,) = many_customers(1, "reuser")
    wallet_charge(user=customer, amount="100.00")
    url = f"{shop_server.url}/api/v1/orders/"
    headers = {**bearer(customer), "Idempotency-Key": "same-key-42"}
    first = requests.post(url, json={"items": [{"variant_id": item.pk, "quantity": 1}]}, headers=headers, timeout=60)
    second = requests.post(url, json={"items": [{"variant_id": item.pk, "quantity": 3}]}, headers=headers, timeout=60)
    orders = Order.objects.filter(customer=customer).count()
    code = second.json().get("code") if second.headers.get("Content-Type", "").startswith("application/json") else None
    passed = scorecard_row(
        "same key, different body",
        f"first {first.status_code}, second {second.status_code} {code}, {orders} order(s)",
        first.status_code == 201 and second.status_code == 422 and orders == 1,
    )
    assert passed


def test_a_double_submitted_checkout_form_makes_one_order(shop_server, scorecard_row):
    item = variant("6.50", 1000)
    (customer,) = many_customers(1, "double-clicker")
    wallet_charge(user=customer, amount="100.00")
    base = shop_server.url
    browser = requests.Session()
    browser.trust_env = False
    page = browser.get(f"{base}/accounts/signin/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed_in = browser.post(
        f"{base}/accounts/signin/",
        data={"username": customer.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    product_page = browser.get(f"{base}/products/{item.product_id}/", timeout=30).text
    form = re.search(r'<form[^>]*action="/orders/place/".*?</form>', product_page, re.DOTALL)
    assert form, "the product page has no order form"
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(0)))
    fields.update(variant_id=str(item.pk), quantity="1")
    assert fields.get("idempotency_key"), "the order form carries no one-time key"
    cookies = browser.cookies.get_dict()

    def submit(session: requests.Session) -> requests.Response:
        session.cookies.update(cookies)
        return session.post(
            f"{base}/orders/place/",
            data=fields,
            headers={"Referer": f"{base}/products/"},
            allow_redirects=False,
            timeout=60,
        )

    answers = fire([submit, submit], concurrency=2)
    orders = list(Order.objects.filter(customer=customer).values_list("pk", flat=True))
    targets = {a.headers.get("Location") for a in answers}
    passed = scorecard_row(
        "a double-submitted checkout form",
        f"{len(orders)} order(s); both answers {statuses(answers)} -> {sorted(t or '' for t in targets)}",
        len(orders) == 1 and all(a.status == 302 for a in answers) and targets == {f"/orders/{orders[0]}/"},
    )
    assert passed
