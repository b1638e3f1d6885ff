"""Issue 11's proof: a client generated from the live schema drives the whole mobile flow.

openapi-python-client (`--fail-on-warning`) generates a Python client from `/api/schema/` of a live
server, once per test run; the tests import it and use nothing else to talk to the shop. Every
exchange goes through a transport that validates the request and the response against the schema
with openapi-core, strictly: an undocumented status, header, field or content type fails the test
(objects are taken as closed: a field the schema does not list is an error too). Each documented
error status is decoded into the one documented error model.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from accounts.models import Guest
from tests.factories.commerce import CouponFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db(transaction=True)

BIN = Path(sys.executable).parent
PACKAGE = "shop_mobile_client"
PASSWORD = "correct horse battery 9"


# --- the generated client, once per run ------------------------------------------------------------


@pytest.fixture(scope="session")
def live_schema(live_server, django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="session")
def client_package(live_schema, tmp_path_factory) -> Any:
    """The generated package, imported. Generation must not warn (`--fail-on-warning`)."""
    import json

    root = tmp_path_factory.mktemp("generated")
    schema_path = root / "schema.json"
    schema_path.write_text(json.dumps(live_schema))
    config = root / "config.yaml"
    # No post-hooks: the generated code is imported, not committed, so it need not be formatted.
    config.write_text(f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n")
    result = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema_path),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def api(package: Any, name: str) -> Any:
    """`api("orders_create")`: the generated module of that operation, whichever tag holds it."""
    tags = [module.name for module in pkgutil.iter_modules(importlib.import_module(f"{package.__name__}.api").__path__)]
    for tag in tags:
        try:
            return importlib.import_module(f"{package.__name__}.api.{tag}.{name}")
        except ModuleNotFoundError:
            continue
    raise LookupError(name)


def model(package: Any, name: str) -> Any:
    return getattr(importlib.import_module(f"{package.__name__}.models"), name)


# --- strict validation of every exchange -----------------------------------------------------------


def closed_objects(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every object that lists its properties closed to others."""
    strict = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for item in node:
                close(item)

    close(strict)
    return strict


class OpenAPIRequest:
    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        cookies = {}
        for part in request.headers.get("cookie", "").split(";"):
            if "=" in part:
                name, value = part.strip().split("=", 1)
                cookies[name] = value
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(
                [
                    (k, v)
                    for k, values in parse_qs(request.url.query.decode(), keep_blank_values=True).items()
                    for v in values
                ]
            ),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(cookies),
        )

    host_url = property(lambda self: f"{self._request.url.scheme}://{self._request.url.netloc.decode()}")
    path = property(lambda self: self._request.url.path)
    method = property(lambda self: self._request.method.lower())
    body = property(lambda self: self._request.content or None)
    content_type = property(lambda self: self._request.headers.get("content-type", ""))


class OpenAPIResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    data = property(lambda self: self._response.content)
    status_code = property(lambda self: self._response.status_code)
    content_type = property(lambda self: self._response.headers.get("content-type", ""))
    headers = property(lambda self: Headers(list(self._response.headers.multi_items())))


@dataclass
class CheckingTransport(httpx.BaseTransport):
    """Sends each request for real, and validates it and its answer against the schema."""

    spec: OpenAPI
    inner: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    invalid_request_expected: bool = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        checked = OpenAPIRequest(request)
        if self.invalid_request_expected:
            with pytest.raises(Exception):  # noqa: B017 - any validation error: the request breaks the schema
                self.spec.validate_request(checked)
        else:
            self.spec.validate_request(checked)
        response = self.inner.handle_request(request)
        response.read()
        self.spec.validate_response(checked, OpenAPIResponse(response))
        self.seen.append((request.method, request.url.path, response.status_code))
        return response

    @contextmanager
    def sending_invalid_request(self):
        """For a request the schema forbids on purpose: it must fail validation; the answer is still checked."""
        self.invalid_request_expected = True
        try:
            yield
        finally:
            self.invalid_request_expected = False


@pytest.fixture(scope="session")
def spec(live_schema) -> OpenAPI:
    return OpenAPI.from_dict(closed_objects(live_schema))


@dataclass
class Shop:
    package: Any
    transport: CheckingTransport
    base_url: str

    def client(self, token: str | None = None) -> Any:
        kwargs = {
            "base_url": self.base_url,
            "httpx_args": {"transport": self.transport},
            "raise_on_unexpected_status": True,
        }
        if token is None:
            return self.package.Client(**kwargs)
        return self.package.AuthenticatedClient(token=token, **kwargs)

    def call(self, operation: str, client: Any, **kwargs: Any) -> Any:
        return api(self.package, operation).sync_detailed(client=client, **kwargs)

    def new(self, model_name: str, **kwargs: Any) -> Any:
        return model(self.package, model_name)(**kwargs)


@pytest.fixture
def shop(client_package, spec, live_server) -> Shop:
    return Shop(client_package, CheckingTransport(spec), live_server.url)


def is_error(shop: Shop, response: Any, status: int, code: str) -> Any:
    assert response.status_code == status, response.content
    error = response.parsed
    assert isinstance(error, model(shop.package, "ApiError")), error
    assert error.code == code and isinstance(error.message, str) and error.message, error
    return error


def register_and_sign_in(shop: Shop, email: str = "ada@example.com") -> tuple[Any, Any]:
    anonymous = shop.client()
    created = shop.call(
        "auth_register_create",
        anonymous,
        body=shop.new("RegisterRequest", email=email, password=PASSWORD, first_name="Ada", last_name="Lovelace"),
    )
    assert created.status_code == 201, created.content
    assert created.parsed.email == email
    signed_in = shop.call(
        "auth_token_create", anonymous, body=shop.new("TokenObtainRequest", email=email, password=PASSWORD)
    )
    assert signed_in.status_code == 200, signed_in.content
    return signed_in.parsed, signed_in


# --- the flow ------------------------------------------------------------------------------------------


def test_the_mobile_flow_through_the_generated_client(shop):
    lamp = VariantFactory(product=ProductFactory(title="Blue Desk Lamp"), price=Decimal("20.00"), stock=5)
    VariantFactory(product=ProductFactory(title="Blue Armchair"), price=Decimal("250.00"), stock=2)
    coupon = CouponFactory(code="WELCOME5", discount_value=Decimal("5.00"))

    pair, token_answer = register_and_sign_in(shop)
    # A token sign-in opens no browser session: no cookie for the app to send back.
    assert "set-cookie" not in token_answer.headers
    me_client = shop.client(pair.access)

    me = shop.call("me_retrieve", me_client)
    assert me.status_code == 200 and me.parsed.email == "ada@example.com"
    assert me.parsed.website == "" and me.parsed.first_name == "Ada"
    changed = shop.call(
        "me_partial_update",
        me_client,
        body=shop.new(
            "PatchedMeRequest",
            website="https://ada.example.com/",
            social_links=shop.new("PatchedMeRequestSocialLinks", github="https://github.com/ada"),
        ),
    )
    assert changed.status_code == 200 and changed.parsed.website == "https://ada.example.com/"
    assert changed.parsed.social_links.github == "https://github.com/ada"

    address = shop.call(
        "me_addresses_create",
        me_client,
        body=shop.new(
            "AddressCreateRequest",
            recipient_name="Ada Lovelace",
            street_address="12 St James's Square",
            city="London",
            postal_code="SW1Y 4JH",
            country="GB",
        ),
    )
    assert address.status_code == 201, address.content
    assert address.parsed.is_primary is True

    ordering = model(shop.package, "ProductsListOrdering")
    found = shop.call(
        "products_list", me_client, search="blue", min_price="10.00", max_price="100", ordering=ordering.PRICE_DESC
    )
    assert found.status_code == 200
    assert [row.title for row in found.parsed.results] == ["Blue Desk Lamp"]
    product = shop.call("products_retrieve", me_client, id=found.parsed.results[0].id)
    assert product.status_code == 200 and product.parsed.variants[0].id == lamp.pk

    topped = shop.call(
        "wallet_charge_create",
        me_client,
        body=shop.new("WalletChargeRequest", amount="100.00"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert topped.status_code == 201 and topped.parsed.balance == "100.00"
    wallet = shop.call("wallet_retrieve", me_client)
    assert wallet.status_code == 200 and wallet.parsed.balance == "100.00"

    claimable = shop.call("coupons_list", me_client)
    assert [row.code for row in claimable.parsed.results] == ["WELCOME5"]
    claimed = shop.call("coupons_claim_create", me_client, coupon_id=coupon.pk)
    assert claimed.status_code == 201, claimed.content
    mine = shop.call("me_coupons_list", me_client)
    assert [row.id for row in mine.parsed.results] == [claimed.parsed.id]

    key = str(uuid.uuid4())
    order_body = shop.new(
        "OrderCreateRequest",
        items=[shop.new("OrderLineInputRequest", variant_id=lamp.pk, quantity=2)],
        coupon_id=claimed.parsed.id,
    )
    placed = shop.call("orders_create", me_client, body=order_body, idempotency_key=key)
    assert placed.status_code == 201, placed.content
    assert "idempotent-replayed" not in placed.headers
    order = placed.parsed
    assert order.status == model(shop.package, "OrderStatusEnum").PAID
    assert order.total_amount == "35.00" and order.coupon.code == "WELCOME5"
    replayed = shop.call("orders_create", me_client, body=order_body, idempotency_key=key)
    assert replayed.status_code == 200 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.parsed.id == order.id

    orders = shop.call("orders_list", me_client)
    assert [row.id for row in orders.parsed.results] == [order.id]
    cancelled = shop.call(
        "orders_cancel_create", me_client, id=order.id, body=shop.new("OrderCancelRequest", reason="Changed my mind")
    )
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.parsed.status == model(shop.package, "OrderStatusEnum").CANCELLED
    again = shop.call("orders_retrieve", me_client, id=order.id)
    assert again.parsed.cancelled_at is not None

    entries = shop.call("wallet_entries_list", me_client)
    entry_type = model(shop.package, "EntryTypeEnum")
    assert [row.entry_type for row in entries.parsed.results] == [entry_type.REFUND, entry_type.USE, entry_type.CHARGE]

    refreshed = shop.call(
        "auth_token_refresh_create", shop.client(), body=shop.new("RefreshRequest", refresh=pair.refresh)
    )
    assert refreshed.status_code == 200 and refreshed.parsed.refresh != pair.refresh
    out = shop.call(
        "auth_logout_create", shop.client(), body=shop.new("RefreshRequest", refresh=refreshed.parsed.refresh)
    )
    assert out.status_code == 204

    # An order without a coupon: `coupon` is null, and that is valid.
    plain = shop.call(
        "orders_create",
        shop.client(
            shop.call(
                "auth_token_create",
                shop.client(),
                body=shop.new("TokenObtainRequest", email="ada@example.com", password=PASSWORD),
            ).parsed.access
        ),
        body=shop.new("OrderCreateRequest", items=[shop.new("OrderLineInputRequest", variant_id=lamp.pk, quantity=1)]),
    )
    assert plain.status_code == 201 and plain.parsed.coupon is None
    assert len(shop.transport.seen) == 22


def test_a_token_sign_in_sets_no_cookie_and_leaves_no_guest_row(shop):
    _pair, answer = register_and_sign_in(shop, "grace@example.com")

    assert "sessionid" not in answer.headers.get("set-cookie", "")
    assert not Guest.objects.exists()


@contextmanager
def database_away():
    """The database refuses connections for real: new connections go to a closed port. The live
    server opens one per request (CONN_MAX_AGE=0); the test's own connection stays open."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    host, port = settings_dict["HOST"], settings_dict["PORT"]
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", "1"
    try:
        yield
    finally:
        settings_dict["HOST"], settings_dict["PORT"] = host, port


def test_each_documented_error_status_decodes_into_the_one_error_model(shop, live_schema):
    documented = {
        status
        for path in live_schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
        for status in operation.get("responses", {})
        if status >= "400"
    }
    assert documented == {"400", "401", "402", "403", "404", "409", "422", "429", "503"}
    lamp = VariantFactory(price=Decimal("20.00"), stock=1)
    pair, _ = register_and_sign_in(shop)
    client = shop.client(pair.access)
    one_lamp = shop.new("OrderCreateRequest", items=[shop.new("OrderLineInputRequest", variant_id=lamp.pk, quantity=1)])
    # Checkout delivers to the primary address: without one every order is a 400 `address_required`.
    no_address = shop.call("orders_create", client, body=one_lamp)
    assert not is_error(shop, no_address, 400, "address_required").fields
    home = shop.new(
        "AddressCreateRequest",
        recipient_name="A B",
        street_address="1 Road",
        city="Leeds",
        postal_code="LS1",
        country="GB",
    )
    assert shop.call("me_addresses_create", client, body=home).status_code == 201

    # 400: input that is not valid has `fields`; a rule of the shop has none, same model.
    with shop.transport.sending_invalid_request():
        bad = shop.call(
            "auth_register_create",
            shop.client(),
            body=shop.new("RegisterRequest", email="not an email", password=PASSWORD, first_name="A", last_name="B"),
        )
    assert "email" in is_error(shop, bad, 400, "validation_error").fields.additional_properties
    prices = shop.call("products_list", client, min_price="50", max_price="10")
    assert "max_price" in is_error(shop, prices, 400, "validation_error").fields.additional_properties
    with_coupon = shop.new(
        "OrderCreateRequest",
        items=[shop.new("OrderLineInputRequest", variant_id=lamp.pk, quantity=1)],
        coupon_id=999999,
    )
    assert not is_error(shop, shop.call("orders_create", client, body=with_coupon), 400, "coupon_not_usable").fields

    # 401: no credentials; a token that is not valid (the app refreshes on this code); a wrong password.
    with shop.transport.sending_invalid_request():
        is_error(shop, shop.call("me_retrieve", shop.client()), 401, "not_authenticated")
    is_error(shop, shop.call("me_retrieve", shop.client("not.a.token")), 401, "token_not_valid")
    wrong = shop.new("TokenObtainRequest", email="ada@example.com", password="not the password")
    is_error(shop, shop.call("auth_token_create", shop.client(), body=wrong), 401, "invalid_credentials")

    is_error(shop, shop.call("orders_create", client, body=one_lamp), 402, "insufficient_balance")
    # 403: a customer on the seller center's endpoints.
    is_error(shop, shop.call("seller_orders_list", client), 403, "permission_denied")
    is_error(shop, shop.call("products_retrieve", client, id=999999999), 404, "not_found")
    shop.call("wallet_charge_create", client, body=shop.new("WalletChargeRequest", amount="100.00"))
    two_lamps = shop.new(
        "OrderCreateRequest", items=[shop.new("OrderLineInputRequest", variant_id=lamp.pk, quantity=2)]
    )
    is_error(shop, shop.call("orders_create", client, body=two_lamps), 409, "insufficient_stock")
    assert shop.call("orders_create", client, body=one_lamp, idempotency_key="k-1").status_code == 201
    is_error(
        shop, shop.call("orders_create", client, body=two_lamps, idempotency_key="k-1"), 422, "idempotency_key_reused"
    )

    # 429: the account locks after repeated wrong passwords, even for the right one.
    for _attempt in range(10):
        shop.call("auth_token_create", shop.client(), body=wrong)
    right = shop.new("TokenObtainRequest", email="ada@example.com", password=PASSWORD)
    is_error(shop, shop.call("auth_token_create", shop.client(), body=right), 429, "locked_out")

    # 503: the database is away; the answer says when to try again.
    with database_away():
        away = shop.call("wallet_retrieve", client)
    is_error(shop, away, 503, "unavailable")
    assert int(away.headers["retry-after"]) > 0
    assert {status for _method, _path, status in shop.transport.seen} >= {400, 401, 402, 403, 404, 409, 422, 429, 503}


def test_the_transport_refuses_an_answer_the_schema_does_not_describe(spec):
    """The validation is strict: a field the schema does not list, or a status it does not, fails."""
    request = httpx.Request("GET", "http://testserver/api/v1/wallet/", headers={"Authorization": "Bearer x"})
    checked = OpenAPIRequest(request)

    def answer(status: int, body: bytes) -> OpenAPIResponse:
        return OpenAPIResponse(httpx.Response(status, content=body, headers={"Content-Type": "application/json"}))

    spec.validate_response(checked, answer(200, b'{"balance": "1.00", "currency": "USD"}'))
    for status, body in [
        (200, b'{"balance": "1.00", "currency": "USD", "owner": 1}'),
        (200, b'{"balance": "", "currency": "USD"}'),
        (200, b'{"balance": "1.00"}'),
        (418, b'{"code": "teapot", "message": "No."}'),
        (401, b'{"code": "token_not_valid", "message": {"detail": "x"}}'),
    ]:
        with pytest.raises(Exception):  # noqa: B017 - any validation error
            spec.validate_response(checked, answer(status, body))
