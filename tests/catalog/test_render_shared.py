"""Live pages built around shared parts (common.public_cache.shared_value): what every shopper
sees of the catalogue is computed once per generation, the per-customer parts on every request.

Transactional: the bumps that keep shared parts fresh run after commit, as in the shop.
"""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from carts.models import CartItem
from carts.services import cart_add_item
from catalog.models import Category, ProductVariant
from common.public_cache import generations_bump, shared_value
from inventory.services import stock_restock
from orders.models import Order
from payments.services import wallet_charge
from promotions.models import CouponStatus, IssuedCoupon
from promotions.services import coupon_claim, coupon_transition, coupon_update
from tests.factories.accounts import CustomerFactory
from tests.factories.commerce import CouponFactory, ProductFactory, VariantFactory
from tests.redis_commands import command_name, redis_commands_sent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True


@pytest.fixture
def variant():
    product = ProductFactory(title="Trail Running Shoe")
    return VariantFactory(product=product, name="EU 42", price=Decimal("60.00"), stock=30)


def test_a_value_kept_in_the_workers_memory_only_never_reaches_redis(settings):
    from django.core.cache import cache

    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    scope = f"t:local-{time.time_ns()}"
    before = set(cache.keys("shared:*"))  # django-redis' keys()
    assert shared_value([scope], "t:local", compute, across_workers=False) == 1
    assert shared_value([scope], "t:local", compute, across_workers=False) == 1  # kept by this worker
    assert set(cache.keys("shared:*")) == before
    assert shared_value([scope], "t:shared", compute) == 2 and len(set(cache.keys("shared:*")) - before) == 1
    generations_bump([scope])
    assert shared_value([scope], "t:local", compute, across_workers=False) == 3


def test_shared_value_is_computed_once_per_generation(settings):
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert shared_value(["t:scope"], "t:name", compute) == {"n": 1}
    assert shared_value(["t:scope"], "t:name", compute) == {"n": 1}  # kept
    assert shared_value(["t:scope"], "t:other", compute) == {"n": 2}  # another name, another value
    generations_bump(["t:scope"])  # outside a transaction: at once
    assert shared_value(["t:scope"], "t:name", compute) == {"n": 3}
    settings.PUBLIC_CACHE_ENABLED = False
    assert shared_value(["t:scope"], "t:name", compute) == {"n": 4}  # without the cache: always computed


def test_a_value_kept_in_the_workers_memory_is_a_copy_per_read_until_it_expires_or_is_cleared(monkeypatch):
    """Each read gets its own copy (a page may change what it was given); a kept value lasts
    PUBLIC_CACHE_SECONDS at most, and clearing the worker's memory (`public_local`) forgets it."""
    from django.core.cache import caches

    from common import public_cache

    calls = []

    def compute():
        calls.append(1)
        return {"rows": [len(calls)]}

    scope = f"t:copies-{time.time_ns()}"
    first = shared_value([scope], "t:copies", compute, across_workers=False)
    second = shared_value([scope], "t:copies", compute, across_workers=False)
    assert first == second == {"rows": [1]} and first is not second
    second["rows"].append("changed by a page")
    assert shared_value([scope], "t:copies", compute, across_workers=False) == {"rows": [1]}

    now = time.monotonic()
    monkeypatch.setattr(public_cache.time, "monotonic", lambda: now + public_cache._lifetime(None) + 1)
    assert shared_value([scope], "t:copies", compute, across_workers=False) == {"rows": [2]}  # expired
    monkeypatch.undo()

    caches["public_local"].clear()
    assert shared_value([scope], "t:copies", compute, across_workers=False) == {"rows": [3]}


def test_a_requests_first_generations_read_brings_the_scopes_most_pages_read():
    """One round trip for the catalogue's, pricing's and coupon terms' generations (registered with
    generations_prefetch), whichever a page asks for first; the next request reads them again."""
    from common.public_cache import _request_generations, generations_current

    def one_request(scopes):
        memo = _request_generations.set({})  # as PublicCacheMiddleware does for a GET
        try:
            return generations_current(scopes), dict(_request_generations.get())
        finally:
            _request_generations.reset(memo)

    asked, read = one_request(["t:first"])
    assert set(asked) == {"t:first"}
    assert {"t:first", "catalog", "catalog:shared", "pricing", "promotions:coupons"} <= set(read)
    generations_bump(["catalog"])  # a catalogue write between two requests
    asked, read_next = one_request(["catalog"])
    assert asked == {"catalog": read["catalog"] + 1}
    assert read_next["pricing"] == read["pricing"]


def test_generations_never_read_start_in_one_round_trip_and_keep_what_another_worker_started(monkeypatch):
    """After a Redis restart every product's first visit starts its generation: in the read's own
    round trip (a script), the value another worker started first kept, increments working on
    what was started, and None when Redis is away."""
    from django.core.cache import cache
    from redis.connection import Connection

    from common.public_cache import _generation_key, _generations_read

    cache.set(_generation_key("t:theirs"), 41, timeout=None)  # another worker started this one
    sent = redis_commands_sent(monkeypatch)
    scopes = [f"t:new-{time.time_ns()}-{n}" for n in range(3)]
    found = _generations_read([*scopes, "t:theirs"])
    assert len(sent) == 1  # read and started together
    assert found["t:theirs"] == 41 and len({found[scope] for scope in scopes}) == 1
    assert found[scopes[0]] > 41  # a start takes the clock's nanoseconds: never an earlier value
    monkeypatch.undo()
    generations_bump([scopes[0]])
    assert _generations_read(scopes)[scopes[0]] == found[scopes[0]] + 1
    cache.client.get_client(write=True).script_flush()  # a restarted Redis has lost the script too
    assert _generations_read(scopes)[scopes[0]] == found[scopes[0]] + 1

    def away(self, *args, **kwargs):
        raise ConnectionRefusedError("Redis is away")

    monkeypatch.setattr(Connection, "_connect", away)  # redis-py's connect() makes it a ConnectionError
    cache.client.get_client(write=True).connection_pool.disconnect()
    try:
        assert _generations_read([f"t:unseen-{time.time_ns()}"]) is None
    finally:
        monkeypatch.undo()


def _csrf_secrets(html: str) -> set[str]:
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    tokens += re.findall(r'"X-CSRFToken": "([^"]+)"', html)
    return {_unmask_cipher_token(token) for token in tokens}


def test_customers_and_visitors_never_see_each_others_parts_through_the_shared_caches(variant):
    """Two customers and an anonymous visitor, interleaved over the same pages: each page carries
    its own customer's cart count, CSRF token, coupons and messages, and nobody else's."""
    other = VariantFactory(product=ProductFactory(title="Camp Stove"), price=Decimal("20.00"), stock=30)
    category_slug = variant.product.category.slug if variant.product.category_id else None
    ann, bob = CustomerFactory().user, CustomerFactory().user
    cart_add_item(user=ann, variant_id=variant.pk, quantity=2)
    cart_add_item(user=bob, variant_id=other.pk, quantity=7)
    ann_coupon = CouponFactory(code="ANNONLY")
    IssuedCoupon.objects.create(coupon=ann_coupon, user=ann)
    clients = {"ann": Client(), "bob": Client(), "anon": Client()}
    clients["ann"].force_login(ann)
    clients["bob"].force_login(bob)
    for client in clients.values():
        client.get(reverse("home"))  # every browser holds its CSRF cookie, as after a first visit
    # A message waiting for Ann only: she added to her cart (a redirect; the next page shows it).
    clients["ann"].post(
        reverse("carts:add"),
        {"variant_id": variant.pk, "quantity": 1, "next": reverse("catalog:product_detail", args=[other.product_id])},
    )
    pages = [
        reverse("catalog:product_detail", args=[variant.product_id]),
        reverse("catalog:product_detail", args=[other.product_id]),
        reverse("catalog:product_list"),
        reverse("catalog:product_list") + "?q=shoe",
    ]
    if category_slug:
        pages.append(reverse("catalog:category_detail", args=[category_slug]))
    seen_message = []
    own: dict[str, set[str]] = {}
    # What each customer's header and order form must show; the kept per-customer values change
    # between rounds for Bob only (his cart and his coupons), never for Ann.
    expected = {"ann": {"units": 3, "coupons": {"ANNONLY"}}, "bob": {"units": 7, "coupons": set()}}
    for round_ in range(3):
        if round_ == 1:
            cart_add_item(user=bob, variant_id=variant.pk, quantity=1)
            coupon_claim(coupon_id=CouponFactory(code="BOBONLY").pk, user=bob)
            expected["bob"] = {"units": 8, "coupons": {"BOBONLY"}}
        for page in pages:
            for who in ("ann", "anon", "bob"):
                client = clients[who]
                response = client.get(page)
                assert response.status_code == 200, (who, page)
                html = response.content.decode()
                secrets = _csrf_secrets(html)
                on_product_page = "/products/" in page and page.rstrip("/").split("/")[-1].isdigit()
                if who == "anon":
                    assert not secrets, page
                    assert "cart-count" not in html and "ANNONLY" not in html and "BOBONLY" not in html
                    assert "Added to your cart" not in html
                    continue
                # One secret per browser, the same on every page it is shown.
                assert len(secrets) == 1, (who, page)
                assert own.setdefault(who, secrets) == secrets, (who, page)
                assert re.search(rf'cart-count">{expected[who]["units"]}<', html), (who, page, round_)
                shown = {code for code in ("ANNONLY", "BOBONLY") if code in html}
                assert shown == (expected[who]["coupons"] if on_product_page else set()), (who, page, round_)
                if "Added to your cart" in html:
                    assert who == "ann"
                    seen_message.append(page)
    assert len(seen_message) == 1  # shown once, to Ann
    assert own["ann"] != own["bob"]


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_price_stock_or_catalogue_change_shows_on_the_next_request(client, signed_in):
    variant = VariantFactory(product=ProductFactory(title="Trail Running Shoe"), price=Decimal("60.00"), stock=3)
    if signed_in:
        client.force_login(CustomerFactory().user)
    detail = reverse("catalog:product_detail", args=[variant.product_id])
    listing = reverse("catalog:product_list")
    category = variant.product.category
    for url in (detail, listing, listing + "?q=trail"):
        assert "60.00" in client.get(url).content.decode()  # the shared parts are kept now

    changed = ProductVariant.objects.get(pk=variant.pk)
    changed.price = Decimal("55.50")
    changed.save()
    for url in (detail, listing, listing + "?q=trail"):
        html = client.get(url + ("&" if "?" in url else "?") + "again=1").content.decode()
        assert "55.50" in html and "60.00" not in html, url

    assert "Only 3 left" in client.get(detail).content.decode()
    stock_restock(variant_id=variant.pk, quantity=1000)
    assert "Only 3 left" not in client.get(detail).content.decode()

    product = variant.product
    product.title = "Trail Running Shoe II"
    product.save()
    assert "Trail Running Shoe II" in client.get(detail).content.decode()
    assert "Trail Running Shoe II" in client.get(listing).content.decode()

    if category is not None:
        renamed = Category.objects.get(pk=category.pk)
        renamed.name = "Renamed Category"
        renamed.save()
        assert "Renamed Category" in client.get(detail).content.decode()
        assert "Renamed Category" in client.get(listing).content.decode()  # the filter's choices


def test_the_catalogue_api_shows_a_change_on_the_next_request_for_a_signed_in_reader():
    variant = VariantFactory(product=ProductFactory(title="Trail Running Shoe"), price=Decimal("60.00"), stock=3)
    reader = APIClient()
    reader.force_authenticate(CustomerFactory().user)
    detail = reverse("catalog_api:product-detail", args=[variant.product_id])
    listing = reverse("catalog_api:product-list")
    assert reader.get(detail).json()["variants"][0]["price"] == "60.00"
    assert "60.00" in reader.get(listing).content.decode()

    changed = ProductVariant.objects.get(pk=variant.pk)
    changed.price = Decimal("55.50")
    changed.save()

    assert reader.get(detail).json()["variants"][0]["price"] == "55.50"
    assert "55.50" in reader.get(listing).content.decode() and "60.00" not in reader.get(listing).content.decode()
    assert reader.get(reverse("catalog_api:product-detail", args=[variant.product_id + 1000])).status_code == 404
    assert reader.get(listing, {"page": "0"}).status_code == 400


def test_a_customers_cart_and_coupon_changes_show_on_their_next_request(client, variant):
    """The header's cart count and the order form's coupons are kept per customer (under the
    customer's generation, common.public_cache.customer_value): every change shows at once."""
    customer = CustomerFactory().user
    wallet_charge(user=customer, amount="500.00")
    client.force_login(customer)
    page = reverse("catalog:product_detail", args=[variant.product_id])

    def shown() -> tuple[int, bool]:
        html = client.get(page).content.decode()
        units = re.search(r'cart-count">(\d+)<', html)
        return (int(units.group(1)) if units else 0), "SPRING5" in html

    assert shown() == (0, False)
    assert shown() == (0, False)  # kept now
    client.post(reverse("carts:add"), {"variant_id": variant.pk, "quantity": 2})
    assert shown() == (2, False)
    item = CartItem.objects.get(cart__customer=customer)
    client.post(reverse("carts:item_update", args=[item.pk]), {"quantity": 5})
    assert shown() == (5, False)
    client.post(reverse("carts:item_remove", args=[item.pk]))
    assert shown() == (0, False)

    coupon = CouponFactory(code="SPRING5", name="Spring five")
    client.post(reverse("promotions:coupon_claim", args=[coupon.pk]))
    assert shown() == (0, True)
    issued = IssuedCoupon.objects.get(user=customer)
    client.post(
        reverse("orders:place"),
        {"variant_id": variant.pk, "quantity": 1, "coupon_id": issued.pk, "idempotency_key": "k" * 32},
    )
    order = Order.objects.get(customer=customer)
    assert order.issued_coupon_id == issued.pk
    assert shown() == (0, False)  # used
    client.post(reverse("orders:cancel", args=[order.pk]), {"reason": ""})
    assert shown() == (0, True)  # given back by the cancellation

    coupon_transition(coupon_id=coupon.pk, to=CouponStatus.PAUSED)  # staff: every holder's forms
    assert shown() == (0, False)
    coupon_transition(coupon_id=coupon.pk, to=CouponStatus.ACTIVE)
    assert shown() == (0, True)
    # Expiry is time, not a write: a kept list drops a coupon the moment it expires.
    coupon_update(coupon_id=coupon.pk, changes={"expires_at": timezone.now() + timedelta(seconds=1)})
    assert shown() == (0, True)  # kept with its expiry
    time.sleep(1.1)
    assert shown() == (0, False)

    # Checkout from the cart empties the header's count.
    cart_add_item(user=customer, variant_id=variant.pk, quantity=3)
    assert shown() == (3, False)
    client.post(reverse("orders:checkout"), {"idempotency_key": "c" * 32})
    assert Order.objects.filter(customer=customer).count() == 2
    assert shown() == (0, False)


def test_the_headers_unread_count_shows_each_change_on_the_next_request(client, variant):
    """The header's unread notifications count is kept per customer too: a new notification, one
    marked read and all marked read each show on the very next page."""
    from common.inbox import notification_mark_read, notifications_mark_all_read
    from common.models import Channel, Notification

    customer = CustomerFactory().user
    wallet_charge(user=customer, amount="500.00")
    client.force_login(customer)
    page = reverse("catalog:product_detail", args=[variant.product_id])

    def unread() -> int:
        found = re.search(r'notification-count">(\d+)<', client.get(page).content.decode())
        return int(found.group(1)) if found else 0

    assert unread() == 0
    assert unread() == 0  # kept now
    for n in range(2):
        client.post(reverse("orders:place"), {"variant_id": variant.pk, "quantity": 1, "idempotency_key": f"{n}" * 32})
    assert unread() == 2  # two order confirmations, in the account
    first = Notification.objects.filter(user=customer, channel=Channel.IN_APP).order_by("pk").first()
    notification_mark_read(user=customer, notification_id=first.pk)
    assert unread() == 1
    notifications_mark_all_read(user=customer)
    assert unread() == 0


def test_kept_rows_are_unpickled_only_when_read():
    """A listing page's kept rows: their number without them, the rows themselves on first use."""
    import pickle

    from common.public_cache import UnpickledWhenUsed

    kept = pickle.loads(pickle.dumps((3, UnpickledWhenUsed([{"title": "Mug"}, {"title": "Lamp"}]))))
    rows = kept[1]
    assert len(rows) == 2 and bool(rows)
    assert rows._rows is None  # still bytes
    assert [row["title"] for row in rows] == ["Mug", "Lamp"]
    assert rows[1] == {"title": "Lamp"} and rows[:1] == [{"title": "Mug"}]
    again = pickle.loads(pickle.dumps(rows))  # a loaded copy kept again keeps the same rows
    assert list(again) == list(rows) and len(UnpickledWhenUsed([])) == 0


def test_the_filter_form_is_kept_per_values_sent_and_read_only_by_its_pages():
    from django.http import QueryDict

    from catalog.forms import product_filter_form

    lamps = Category.objects.create(name="Lamps", slug="lamps", is_active=True)
    page_two, page_three = product_filter_form(QueryDict("page=2")), product_filter_form(QueryDict("page=3"))
    assert page_two is page_three  # the page number is not the form's
    sorted_form = product_filter_form(QueryDict("page=2&sort=price"))
    assert sorted_form is not page_two and sorted_form.filters()["ordering"] == "price"
    filters = product_filter_form(QueryDict("category=lamps")).filters()
    assert filters["category"] == lamps
    filters["category"] = None  # a view changing its filters changes no other request's
    assert product_filter_form(QueryDict("category=lamps")).filters()["category"] == lamps
    assert product_filter_form(QueryDict("min_price=abc")).errors  # kept with its errors


def _waiting_for_an_answer(sent: list[bytes]) -> list[bytes]:
    """What was sent, less the stores sent without reply (common.public_cache.set_without_reply):
    the round trips."""
    return [command for command in sent if not command.startswith(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP")]


def _forget_in_this_worker(name_prefix: str) -> None:
    """Drop this worker's kept values whose name starts so, as if another worker had computed them."""
    from common.public_cache import _kept_here

    for here in [here for here in _kept_here if str(here[0]).startswith(name_prefix)]:
        del _kept_here[here]


@pytest.mark.parametrize("page", ["listing", "product"])
def test_a_signed_in_catalogue_page_costs_one_redis_round_trip(client, variant, monkeypatch, page):
    """One read: the session (accounts.sessions: this worker has seen it, so it knows whose it is),
    the kept user's generation and the catalogue's (accounts.middleware.UserFirstMiddleware with
    generations_prefetch) and, on a product page, the product's generation and its kept rows
    (expected by the view before the session is read): a product nobody opened yet costs one
    store more, sent without waiting for an answer."""
    client.force_login(CustomerFactory().user)
    listing = reverse("catalog:product_list") + "?page=1"
    client.get(listing)  # the kept values are in this process's memory now
    if page == "product":  # the customer's kept forms (coupons, wishlists) from another product
        client.get(reverse("catalog:product_detail", args=[VariantFactory(stock=1).product_id]))
        listing = reverse("catalog:product_detail", args=[variant.product_id])
    sent = redis_commands_sent(monkeypatch)
    html = client.get(listing).content.decode()
    assert variant.product.title in html and "Sign out" in html
    waited = _waiting_for_an_answer(sent)
    assert len(waited) == 1, sent
    assert command_name(waited[0]) == b"EVALSHA" and b"django.contrib.sessions" in waited[0]
    if page == "product":
        assert f"gen:catalog:product:{variant.product_id}".encode() in waited[0]
        assert len(sent) == 2  # the product's rows, kept for the next visitor


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_product_another_worker_read_costs_its_page_no_statement_and_no_round_trip(
    client, variant, monkeypatch, signed_in
):
    """The product every visitor sees (catalog.cache.product_for_page), kept in Redis by the worker
    that read it first: another worker's visitor, anonymous on a new URL or signed in, gets it with
    the request's one generations read, and no statement reads the product."""
    if signed_in:
        client.force_login(CustomerFactory().user)
    page = reverse("catalog:product_detail", args=[variant.product_id])
    client.get(page + "?first=1")  # computed here and kept in Redis (and the visitor's own values)
    _forget_in_this_worker("catalog:product-for-page:")
    sent = redis_commands_sent(monkeypatch)
    with CaptureQueriesContext(connection) as statements:
        html = client.get(page + "?second=1").content.decode()
    assert "Trail Running Shoe" in html and "60.00" in html and "Only" not in html  # 30 in stock
    assert not [query for query in statements.captured_queries if "catalog_product" in query["sql"]]
    waited = _waiting_for_an_answer(sent)
    assert [command_name(command) for command in waited] == [b"EVALSHA"], sent
    assert b"shared:" in waited[0]


def test_a_kept_value_is_one_key_used_only_under_the_generations_it_was_computed_under():
    """A value kept in Redis carries the generations it was computed under: another worker uses it
    while they are current, and the value of a new generation takes the old one's key."""
    from django.core.cache import cache

    from common.public_cache import _shared_key

    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    scope = f"t:stable-{time.time_ns()}"
    key = _shared_key([scope], "t:stable")
    assert shared_value([scope], "t:stable", compute) == {"n": 1}
    computed_under = cache.get(key)[0]
    _forget_in_this_worker("t:stable")
    assert shared_value([scope], "t:stable", compute) == {"n": 1}  # from Redis
    generations_bump([scope])
    _forget_in_this_worker("t:stable")
    assert shared_value([scope], "t:stable", compute) == {"n": 2}  # Redis' was of the old generation
    assert cache.get(key)[0] != computed_under and len(cache.keys(key)) == 1


def test_a_store_without_reply_lands_and_leaves_the_connection_in_step(monkeypatch):
    """`set_without_reply`: one send (CLIENT REPLY SKIP and the SET), no answer waited for; the
    next command on the same connection gets its own answer; with Redis away, nothing is raised."""
    from django.core.cache import cache
    from redis.connection import Connection

    from common.public_cache import set_without_reply

    sent = redis_commands_sent(monkeypatch)
    set_without_reply("t:no-reply", {"rows": [1, 2]}, 60)
    assert len(sent) == 1 and b"CLIENT" in sent[0] and b"SKIP" in sent[0] and b"SET" in sent[0]
    assert _waiting_for_an_answer(sent) == []
    assert cache.get("t:no-reply") == {"rows": [1, 2]}  # the pool's one connection, in step
    assert cache.client.get_client(write=True).ping() is True
    assert 0 < cache.ttl("t:no-reply") <= 60  # the SET's expiry went with it

    def away(self, *args, **kwargs):
        raise ConnectionRefusedError("Redis is away")

    monkeypatch.undo()
    monkeypatch.setattr(Connection, "_connect", away)
    cache.client.get_client(write=True).connection_pool.disconnect()
    try:
        set_without_reply("t:no-reply-away", 1, 60)  # fails open, as the cache does
    finally:
        monkeypatch.undo()
    assert cache.get("t:no-reply-away") is None


def test_a_mobile_clients_product_read_brings_the_products_generation_with_its_users(variant, monkeypatch):
    """The product API with a bearer token: the client's user, the product's generations and its
    kept answer in one read (the view expects them before authentication reads the user's), and
    nothing more of Redis but the store of an answer computed (in one statement) for the next
    reader, sent without reply; the next read of it in this worker or another, no statement."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(CustomerFactory().user)}")
    assert api.get(reverse("catalog_api:product-detail", args=[VariantFactory(stock=1).product_id])).status_code == 200
    sent = redis_commands_sent(monkeypatch)
    response = api.get(reverse("catalog_api:product-detail", args=[variant.product_id]))
    assert response.status_code == 200 and response.json()["title"] == "Trail Running Shoe"
    commands = [command_name(command) for command in _waiting_for_an_answer(sent)]
    assert commands == [b"EVALSHA"] and len(sent) == 2, sent
    with CaptureQueriesContext(connection) as statements:
        again = api.get(reverse("catalog_api:product-detail", args=[variant.product_id]))
    assert again.json() == response.json() and len(statements) == 0  # the user kept too
    assert f"gen:catalog:product:{variant.product_id}".encode() in sent[0]
    _forget_in_this_worker("catalog:api-product:")
    with CaptureQueriesContext(connection) as statements:
        assert api.get(reverse("catalog_api:product-detail", args=[variant.product_id])).json() == response.json()
    assert len(statements) == 0  # another worker's answer, from Redis
