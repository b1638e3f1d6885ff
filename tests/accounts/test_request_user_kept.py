"""The session's (and the API token's) user is kept per customer (accounts.selectors.user_for_request)
with the public cache on, as in the shop: no user query on a repeat request, and every change of
the user or seller row (password, deactivation, soft deletion, becoming a seller) is seen at the
very next request.

Transactional: the bumps that forget the kept user run after commit, as in the shop.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Seller, SellerStatus, User
from accounts.selectors import user_for_request
from accounts.services import seller_apply, seller_set_status
from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory, SellerFactory
from tests.redis_commands import command_name, redis_commands_sent

from .conftest import api_sign_in, page_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-brand-new-passphrase-42"
ME = reverse("accounts_api:me")
MY_PRODUCTS = reverse("inventory:seller_products")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PUBLIC_CACHE_ENABLED = True
    caches["public_local"].clear()  # this worker's memory: every test starts cold


def _user_queries(queries: CaptureQueriesContext, *, seller: bool = True) -> list[str]:
    """The statements that read the user table (not the sign-ins table), and the seller table."""
    tables = ['"accounts_user"', *(['"accounts_seller"'] if seller else [])]
    return [q["sql"] for q in queries.captured_queries if any(table in q["sql"] for table in tables)]


def _signed_in(user: User) -> Client:
    client = Client()
    assert page_sign_in(client, user.email).status_code == 302
    return client


def _page(client: Client):
    return client.get(reverse("orders:list"))


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- the selector ---------------------------------------------------------------------------------


def test_the_kept_user_is_a_fresh_copy_each_time_and_carries_its_seller_or_none():
    plain = CustomerFactory().user
    seller = SellerFactory(status=SellerStatus.ACTIVE)
    first = user_for_request(plain.pk)
    with CaptureQueriesContext(connection) as queries:
        again = user_for_request(str(plain.pk))  # a session holds the id as text
        seller_user = user_for_request(seller.user_id)
        kept_seller_user = user_for_request(seller.user_id)
        # The missing seller is kept as "none": the account menu's test raises nothing, asks nothing.
        menu = Template("{% if user.seller.is_active_seller %}seller{% else %}shopper{% endif %}")
        shown = [menu.render(Context({"user": u})) for u in (again, kept_seller_user)]
        with pytest.raises(Seller.DoesNotExist):
            _ = again.seller
    assert shown == ["shopper", "seller"]
    assert len(queries) == 1  # the seller's user, loaded once, then kept
    assert again is not first and again.pk == first.pk == plain.pk
    assert kept_seller_user is not seller_user and kept_seller_user.seller.pk == seller.pk
    # A request changing its user changes no other request's.
    again.first_name = "Changed in one request"
    again.__dict__["_perm_cache"] = {"leaked"}
    third = user_for_request(plain.pk)
    assert third.first_name == plain.first_name and "_perm_cache" not in third.__dict__


@pytest.mark.parametrize("garbage", [None, "", "abc", "-1", "0", "1.5", " 1", "١٢", True, 1.0, [], 2**70, "9" * 40])
def test_a_garbage_user_id_is_nobody_and_costs_no_query(garbage):
    with CaptureQueriesContext(connection) as queries:
        assert user_for_request(garbage) is None
    assert len(queries) == 0


def test_an_unknown_user_is_nobody_until_a_user_with_that_id_is_created():
    unused = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    assert user_for_request(unused) is None
    assert user_for_request(unused) is None  # kept as "nobody"
    created = CustomerFactory(user__id=unused).user
    assert user_for_request(unused).email == created.email


# --- browser sessions ------------------------------------------------------------------------------


def test_a_signed_in_page_reads_no_user_on_a_repeat_request():
    client = _signed_in(CustomerFactory().user)
    assert _page(client).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = _page(client)
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    assert _user_queries(queries) == []


def test_deactivation_soft_deletion_and_a_password_change_sign_out_at_the_next_request():
    deactivated, deleted, changed = (CustomerFactory().user for _ in range(3))
    browsers = {user.pk: _signed_in(user) for user in (deactivated, deleted, changed)}
    other_browser_of_changed = _signed_in(changed)
    for browser in [*browsers.values(), other_browser_of_changed]:
        assert _page(browser).status_code == 200
        assert _page(browser).status_code == 200  # kept now

    deactivated.is_active = False
    deactivated.save()  # as the admin's change form does
    deleted.deleted_at = timezone.now()
    deleted.save()
    change = browsers[changed.pk].post(
        reverse("accounts:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert change.status_code == 302

    assert _signed_out(_page(browsers[deactivated.pk]))
    assert _signed_out(_page(browsers[deleted.pk]))
    assert _signed_out(_page(other_browser_of_changed))
    assert _page(browsers[changed.pk]).status_code == 200  # the browser that changed it stays in
    assert page_sign_in(Client(), changed.email, NEW_PASSWORD).status_code == 302


def test_a_password_set_outside_the_page_also_ends_the_kept_sessions():
    user = CustomerFactory().user
    browser = _signed_in(user)
    assert _page(browser).status_code == 200
    assert _page(browser).status_code == 200
    user.set_password(NEW_PASSWORD)
    user.save()  # the admin's password form, `changepassword`, a password reset
    assert _signed_out(_page(browser))


def test_becoming_a_seller_and_a_seller_status_change_show_in_the_menu_at_the_next_request():
    user = CustomerFactory().user
    browser = _signed_in(user)
    assert MY_PRODUCTS not in _page(browser).content.decode()
    assert MY_PRODUCTS not in _page(browser).content.decode()  # kept, with "no seller"

    seller = seller_apply(
        user=user, business_name="Trail Gear", business_registration_number="KEPT-1", contact_person_name="Ann"
    )
    assert MY_PRODUCTS not in _page(browser).content.decode()  # under review: no menu entry yet
    seller_set_status(seller_id=seller.pk, to=SellerStatus.ACTIVE)
    assert MY_PRODUCTS in _page(browser).content.decode()
    assert MY_PRODUCTS in _page(browser).content.decode()
    seller_set_status(seller_id=seller.pk, to=SellerStatus.SUSPENDED)
    assert MY_PRODUCTS not in _page(browser).content.decode()
    seller.refresh_from_db()
    seller.status = SellerStatus.ACTIVE
    seller.save()  # staff in the admin
    assert MY_PRODUCTS in _page(browser).content.decode()
    seller.delete()
    assert MY_PRODUCTS not in _page(browser).content.decode()


def test_two_customers_never_get_each_others_user():
    ann, bob = CustomerFactory().user, CustomerFactory().user
    browsers = {ann.pk: _signed_in(ann), bob.pk: _signed_in(bob)}
    for _ in range(3):
        for pk, browser in browsers.items():
            response = _page(browser)
            assert response.status_code == 200
            assert response.wsgi_request.user.pk == pk
    ann.first_name = "Annabel"
    ann.save()
    for pk, browser in browsers.items():
        seen = _page(browser).wsgi_request.user
        assert seen.pk == pk
        assert (seen.first_name == "Annabel") == (pk == ann.pk)


# --- API tokens ------------------------------------------------------------------------------------


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_api_reads_no_user_on_a_repeat_request_and_refuses_a_deactivated_user_at_once():
    user = CustomerFactory().user
    client = _bearer(api_sign_in(APIClient(), user.email).json()["access"])
    assert client.get(ME).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME)
    assert response.status_code == 200 and response.json()["email"] == user.email
    # The authentication reads no user; the endpoint itself reads the seller profile it shows.
    assert _user_queries(queries, seller=False) == []

    user.is_active = False
    user.save()
    refused = client.get(ME)
    assert refused.status_code == 401
    assert refused.json()["code"] == "user_inactive"


def test_the_api_refuses_a_soft_deleted_user_and_a_changed_password_at_the_next_request():
    deleted, changed = CustomerFactory().user, CustomerFactory().user
    clients = {u.pk: _bearer(api_sign_in(APIClient(), u.email).json()["access"]) for u in (deleted, changed)}
    for client in clients.values():
        assert client.get(ME).status_code == 200
        assert client.get(ME).status_code == 200
    deleted.deleted_at = timezone.now()
    deleted.save()
    changed.set_password(NEW_PASSWORD)
    changed.save()
    assert clients[deleted.pk].get(ME).status_code == 401
    assert clients[changed.pk].get(ME).status_code == 401


# --- the token's sign-in, kept beside the user ------------------------------------------------------


def test_a_tokens_sign_in_is_checked_with_the_users_generation_and_no_query_on_a_repeat(monkeypatch):
    user = CustomerFactory().user
    client = _bearer(api_sign_in(APIClient(), user.email).json()["access"])  # names its sign-in (sid)
    assert client.get(ME).status_code == 200
    sent = redis_commands_sent(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    assert [command_name(command) for command in sent] == [b"EVALSHA"]  # the sign-in and user kept under it
    assert not [q["sql"] for q in queries.captured_queries if '"accounts_usersession"' in q["sql"]]


@pytest.mark.parametrize("ending", ["logout", "end this session", "password change"])
def test_an_ended_sign_in_refuses_its_token_at_the_next_request_though_it_was_kept_active(ending):
    user = CustomerFactory().user
    pair = api_sign_in(APIClient(), user.email).json()
    other = api_sign_in(APIClient(), user.email).json()  # a second sign-in of the same customer
    client, bystander = _bearer(pair["access"]), _bearer(other["access"])
    for api in (client, bystander):
        assert api.get(ME).status_code == 200
        assert api.get(ME).status_code == 200  # kept "active" now
    if ending == "logout":
        logout = client.post(reverse("accounts_api:logout"), {"refresh": pair["refresh"]}, format="json")
        assert logout.status_code == 204
    elif ending == "end this session":
        sign_in_id = AccessToken(pair["access"])["sid"]  # the sign-in the first token names
        assert bystander.delete(reverse("accounts_api:session", args=[sign_in_id])).status_code == 204
    else:
        user.set_password(NEW_PASSWORD)
        user.save()
    refused = client.get(ME)
    assert refused.status_code == 401
    if ending != "password change":  # the other sign-in goes on
        assert bystander.get(ME).status_code == 200


# --- a token's signature and claims, checked once per worker -----------------------------------------


def test_a_kept_token_is_decoded_once_and_refused_once_it_expires(monkeypatch):
    import time

    from rest_framework_simplejwt.backends import TokenBackend

    user = CustomerFactory().user
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timezone.timedelta(seconds=2))
    client = _bearer(str(token))
    assert client.get(ME).status_code == 200
    decoded = []
    real_decode = TokenBackend.decode
    monkeypatch.setattr(TokenBackend, "decode", lambda self, *a, **k: decoded.append(1) or real_decode(self, *a, **k))
    assert client.get(ME).status_code == 200
    assert decoded == []  # kept: not decoded again
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.1)  # the token's own expiry, a second or two
    refused = client.get(ME)
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"


def test_a_token_changed_by_one_character_is_refused_though_the_genuine_one_is_kept():
    user = CustomerFactory().user
    genuine = str(AccessToken.for_user(user))
    assert _bearer(genuine).get(ME).status_code == 200
    head, payload, signature = genuine.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AB' if signature[-2:] != 'AB' else 'CD'}"
    assert _bearer(forged).get(ME).status_code == 401
    assert _bearer(genuine).get(ME).status_code == 200


def _who_asks(request):
    return JsonResponse({"type": type(request.user).__name__, "email": getattr(request.user, "email", "")})


urlpatterns = [path("who/", _who_asks)]


@pytest.mark.urls(__name__)
def test_a_signed_in_page_request_reads_its_user_itself_not_through_the_lazy_wrapper():
    """UserFirstMiddleware loads the user first and hands the page the user itself (a page reads
    `user` some forty times); a visitor without a session cookie keeps Django's lazy wrapper."""
    customer = CustomerFactory().user
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(customer)
    assert signed_in.get("/who/").json() == {"type": "User", "email": customer.email}
    assert anonymous.get("/who/").json() == {"type": "SimpleLazyObject", "email": ""}
