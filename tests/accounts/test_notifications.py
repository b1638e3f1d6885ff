"""The customer's in-app notifications: the account's list, the header's unread count, marking
read, and the `me/notifications/` API. A customer never sees, nor marks, another's."""

import re
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from common.context_processors import notifications as notifications_context
from common.models import Channel, DeliveryStatus, Notification
from orders.models import Order
from tests.factories.commerce import VariantFactory
from tests.orders.conftest import funded_user, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(db):
    return VariantFactory(stock=50)


@pytest.fixture
def ada(variant):
    """A customer with one order: its confirmation is her in-app notification."""
    return funded_user()


@pytest.fixture
def bob(variant):
    return funded_user()


def notify(user, order: Order | None = None, count: int = 1, **values) -> list[Notification]:
    """In-app rows as the outbox leaves them once sent (`count` of them, oldest first)."""
    about = {}
    if order is not None:
        about = {"subject_type": ContentType.objects.get_for_model(Order), "subject_id": order.pk}
    title = values.pop("title", None)
    values = {"status": DeliveryStatus.SENT, "sent_at": timezone.now(), "body": "Something happened.", **values}
    rows = [
        Notification(
            kind="confirmation",
            channel=Channel.IN_APP,
            user=user,
            recipient=user.email,
            dedupe_key=f"test:{uuid.uuid4().hex}",
            title=title or f"News {n}",
            **about,
            **values,
        )
        for n in range(count)
    ]
    return Notification.objects.bulk_create(rows)


def browser(client, user):
    client.force_login(user)
    return client


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def unread_badge(html: str) -> str | None:
    found = re.search(r'class="badge notification-count">(\d+)', html)
    return found.group(1) if found else None


# --- the page ----------------------------------------------------------------------------------


def test_the_list_shows_my_notifications_newest_first_with_a_link_to_the_order(client, ada, bob, variant):
    order = place(ada, variant)  # the real confirmation (pending: its text is written once sent)
    notify(ada, order, title="Your order is on its way")
    notify(bob, place(bob, variant), title="Bob's parcel")

    page = browser(client, ada).get(reverse("accounts:notifications"))

    assert page.status_code == 200
    headlines = [entry.headline for entry in page.context["notifications"]]
    assert headlines == ["Your order is on its way", "Order confirmation"]
    html = page.content.decode()
    assert "Bob&#x27;s parcel" not in html and "Bob's parcel" not in html
    assert {entry.link for entry in page.context["notifications"]} == {reverse("orders:detail", args=[order.pk])}
    assert "no-store" in page["Cache-Control"]


def test_the_list_is_paginated_with_a_constant_number_of_queries(client, ada):
    notify(ada, count=3)
    signed_in = browser(client, ada)
    signed_in.get(reverse("accounts:notifications"))  # the first request of a session does more
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get(reverse("accounts:notifications")).status_code == 200
    notify(ada, count=40)
    with CaptureQueriesContext(connection) as many:
        first = signed_in.get(reverse("accounts:notifications"))

    assert len(many) == len(few)
    assert len(first.context["notifications"]) == 20 and first.context["page_obj"].paginator.count == 43
    last = signed_in.get(reverse("accounts:notifications"), {"page": 3})
    assert [entry.headline for entry in last.context["notifications"]] == ["News 2", "News 1", "News 0"]


def test_marking_one_read_keeps_the_first_time_and_lowers_the_count(client, ada):
    first, second = notify(ada), notify(ada)
    signed_in = browser(client, ada)
    url = reverse("accounts:notification_read", args=[first[0].pk])

    response = signed_in.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:notifications")
    read_at = Notification.objects.get(pk=first[0].pk).read_at
    assert read_at is not None
    signed_in.post(url)
    assert Notification.objects.get(pk=first[0].pk).read_at == read_at
    assert Notification.objects.get(pk=second[0].pk).read_at is None

    home = signed_in.get(reverse("home"))
    assert unread_badge(home.content.decode()) == "1"


def test_opening_a_notification_marks_it_read_and_goes_to_its_order(client, ada, variant):
    order = place(ada, variant)
    mine = notify(ada, order)[0]

    response = browser(client, ada).post(reverse("accounts:notification_read", args=[mine.pk]), {"open": "1"})

    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    assert Notification.objects.get(pk=mine.pk).read_at is not None


def test_another_customers_notification_is_a_404_and_stays_unread(client, ada, bob):
    theirs = notify(bob)[0]
    signed_in = browser(client, ada)

    assert signed_in.post(reverse("accounts:notification_read", args=[theirs.pk])).status_code == 404
    assert signed_in.get(reverse("accounts:notification_read", args=[theirs.pk])).status_code == 405
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_marks_mine_only(client, ada, bob):
    notify(ada, count=3)
    theirs = notify(bob)[0]

    response = browser(client, ada).post(reverse("accounts:notifications_read_all"), {"page": "2"}, follow=True)

    assert response.redirect_chain[0][0] == reverse("accounts:notifications") + "?page=2"
    assert "3 notifications marked read." in response.content.decode()
    assert not Notification.objects.filter(user=ada, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("accounts:notifications"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# --- the header ----------------------------------------------------------------------------------


def test_the_header_shows_each_customer_their_own_unread_count_never_shared(client, ada, bob):
    notify(ada, count=2)
    notify(bob, count=5)
    Notification.objects.filter(user=ada).update(status=DeliveryStatus.PENDING)  # shown before it is sent
    notify(ada, status=DeliveryStatus.SKIPPED)  # nothing to say any more: not shown, not counted
    notify(ada, read_at=timezone.now())

    ada_home = browser(client, ada).get(reverse("home"))
    client.logout()
    bob_home = browser(client, bob).get(reverse("home"))
    client.logout()
    visitor_home = client.get(reverse("home"))

    assert unread_badge(ada_home.content.decode()) == "2"
    assert unread_badge(bob_home.content.decode()) == "5"
    assert 'href="/accounts/notifications/"' not in visitor_home.content.decode()
    for personal in (ada_home, bob_home):
        assert {"private", "no-store"} & {d.strip() for d in personal["Cache-Control"].split(",")}


def test_the_badge_costs_one_query_whatever_the_number_of_notifications(ada):
    notify(ada, count=30)
    request = RequestFactory().get("/")
    request.user = ada
    template = get_template("includes/_notifications_badge.html")

    with CaptureQueriesContext(connection) as badge:
        html = template.render(notifications_context(request) | {"user": ada}, request)

    assert len(badge) == 1 and "COUNT(" in badge[0]["sql"].upper()
    assert unread_badge(html) == "30"


# --- the API -----------------------------------------------------------------------------------


def test_the_api_lists_my_notifications_only_newest_first(ada, bob, variant):
    order = place(ada, variant)
    notify(ada, order, title="Shipped")
    notify(bob, title="Bob's")

    response = api_as(ada).get("/api/v1/me/notifications/")

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["count"] == 2
    assert [n["title"] for n in body["results"]] == ["Shipped", "Order confirmation"]
    shipped = body["results"][0]
    assert shipped["link"] == f"/orders/{order.pk}/" and (shipped["about_type"], shipped["about_id"]) == (
        "order",
        order.pk,
    )
    assert (shipped["channel"], shipped["status"], shipped["is_read"], shipped["read_at"]) == (
        "in_app",
        "sent",
        False,
        None,
    )


def test_the_api_filters_unread_and_refuses_anything_but_true_or_false(ada):
    unread = notify(ada)[0]
    read = notify(ada, read_at=timezone.now())[0]
    client = api_as(ada)

    assert [n["id"] for n in client.get("/api/v1/me/notifications/?unread=true").json()["results"]] == [unread.pk]
    assert [n["id"] for n in client.get("/api/v1/me/notifications/?unread=false").json()["results"]] == [read.pk]
    for bad in ("unread=yes", "unread=", "unread=True", "unread=true&unread=false", "unread=%20true"):
        response = client.get(f"/api/v1/me/notifications/?{bad}")
        assert response.status_code == 400, bad
        assert response.json()["code"] == "validation_error" and "unread" in response.json()["fields"]
    assert client.get("/api/v1/me/notifications/?page_size=1&page=2").json()["results"][0]["id"] == unread.pk


def test_the_api_list_costs_the_same_queries_for_few_or_many(ada, variant):
    order = place(ada, variant)
    client = api_as(ada)
    notify(ada, order, count=2)
    client.get("/api/v1/me/notifications/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/me/notifications/")
    notify(ada, order, count=30)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/me/notifications/").json()["results"]) == 20
    assert len(many) == len(few)


def test_the_api_marks_one_read_and_another_customers_id_is_a_404(ada, bob):
    mine = notify(ada)[0]
    theirs = notify(bob)[0]
    my_email = Notification.objects.create(
        kind="confirmation", channel=Channel.EMAIL, user=ada, recipient=ada.email, dedupe_key="email:1"
    )
    client = api_as(ada)

    response = client.post(f"/api/v1/me/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    first_read = response.json()["read_at"]
    assert client.post(f"/api/v1/me/notifications/{mine.pk}/read/").json()["read_at"] == first_read

    for other in (theirs.pk, my_email.pk, 0, 10**12):
        response = client.post(f"/api/v1/me/notifications/{other}/read/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert APIClient().post(f"/api/v1/me/notifications/{mine.pk}/read/").status_code == 401


def test_the_api_marks_all_mine_read(ada, bob):
    notify(ada, count=2)
    theirs = notify(bob)[0]

    response = api_as(ada).post("/api/v1/me/notifications/read-all/")

    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert api_as(ada).post("/api/v1/me/notifications/read-all/").json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_schema_documents_the_notification_endpoints(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get"} <= set(paths["/api/v1/me/notifications/"])
    assert "unread" in {p["name"] for p in paths["/api/v1/me/notifications/"]["get"]["parameters"]}
    assert {"post"} <= set(paths["/api/v1/me/notifications/{notification_id}/read/"])


def test_the_preferences_page_says_which_emails_always_go(client, ada):
    page = browser(client, ada).get(reverse("accounts:preferences")).content.decode()
    assert "Email me optional updates about my orders" in page
    assert "refunds are always e-mailed" in page
