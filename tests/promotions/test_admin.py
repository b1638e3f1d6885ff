from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from promotions.models import Coupon, CouponStatus, IssuedCoupon
from promotions.services import coupon_claim
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import UserFactory
from tests.factories.commerce import CouponFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:promotions_coupon_changelist"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _coupon_form(**overrides):
    data = {
        "name": "Autumn",
        "code": "autumn5",
        "discount_type": "amount",
        "discount_value": "5.00",
        "max_discount_amount": "",
        "minimum_order_value": "0",
        "initial_quantity": "40",
        "status": "active",
        "starts_at_0": "",
        "starts_at_1": "",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    data.update(overrides)
    return data


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _claims(n: int) -> None:
    for _ in range(n):
        coupon_claim(coupon_id=CouponFactory().pk, user=UserFactory())


@pytest.mark.parametrize("model", ["coupon", "issuedcoupon"])
def test_changelists_and_change_pages_load(staff_client, model):
    _claims(1)
    CouponFactory(deleted_at=timezone.now())
    changelist = reverse(f"admin:promotions_{model}_changelist")
    staff_client.get(changelist)  # the first request of a session does its own bookkeeping
    before = _queries(staff_client, changelist)
    _claims(3)
    assert _queries(staff_client, changelist) == before  # no query per row (list_select_related)
    obj = (Coupon.all_objects if model == "coupon" else IssuedCoupon.objects).first()
    assert staff_client.get(reverse(f"admin:promotions_{model}_change", args=[obj.pk])).status_code == 200


def test_coupon_list_shows_issued_and_remaining_and_soft_deleted(staff_client):
    CouponFactory(code="HALF", initial_quantity=10, quantity=4)
    CouponFactory(code="GONE", deleted_at=timezone.now())
    response = staff_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert "HALF" in html and "GONE" in html
    row = next(r for r in response.context["cl"].result_list if r.code == "HALF")
    assert (row.issued_count, row.quantity) == (6, 4)


def test_coupon_filters_and_search(staff_client):
    CouponFactory(code="ONE", name="First")
    CouponFactory(code="TWO", status=CouponStatus.PAUSED)
    CouponFactory(code="NONE", initial_quantity=3, quantity=0)
    url = reverse(CHANGELIST)
    assert staff_client.get(url, {"status__exact": "paused"}).context["cl"].result_count == 1
    assert staff_client.get(url, {"left": "none"}).context["cl"].result_count == 1
    assert staff_client.get(url, {"q": "first"}).context["cl"].result_count == 1


def test_add_page_loads_without_the_quantity(staff_client):
    response = staff_client.get(reverse("admin:promotions_coupon_add"))
    assert response.status_code == 200
    assert b'name="initial_quantity"' in response.content
    assert b'name="quantity"' not in response.content


def test_add_sets_the_quantity_from_the_initial_quantity(staff_client):
    response = staff_client.post(reverse("admin:promotions_coupon_add"), _coupon_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.initial_quantity, coupon.quantity, coupon.status) == ("AUTUMN5", 40, 40, "active")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"discount_type": "percentage", "discount_value": "150"}, "A percentage discount can be at most 100."),
        ({"discount_value": "0"}, "The discount must be more than zero."),
        ({"code": "TAKEN"}, "A coupon with this code already exists."),
        (
            {
                "starts_at_0": "2030-01-02",
                "starts_at_1": "00:00:00",
                "expires_at_0": "2030-01-01",
                "expires_at_1": "00:00:00",
            },
            "The coupon must expire after it starts.",
        ),
    ],
)
def test_add_with_bad_terms_shows_the_error_and_writes_nothing(staff_client, overrides, error):
    CouponFactory(code="taken".upper(), deleted_at=timezone.now())
    response = staff_client.post(reverse("admin:promotions_coupon_add"), _coupon_form(**overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Coupon.all_objects.count() == 1


def test_change_keeps_quantities_read_only_even_when_claims_happened_meanwhile(staff_client):
    coupon = CouponFactory(initial_quantity=10)
    change_url = reverse("admin:promotions_coupon_change", args=[coupon.pk])
    page = staff_client.get(change_url)
    assert b'name="quantity"' not in page.content and b'name="initial_quantity"' not in page.content
    coupon_claim(coupon_id=coupon.pk, user=UserFactory())  # after the form was loaded

    data = _coupon_form(name="Renamed", discount_value="6.00")
    for key in ("code", "initial_quantity", "status"):
        data.pop(key)
    response = staff_client.post(change_url, data)

    assert response.status_code == 302
    coupon.refresh_from_db()
    assert (coupon.name, coupon.discount_value, coupon.quantity) == ("Renamed", Decimal("6.00"), 9)


def test_pause_resume_end_actions_call_the_transition_service(staff_client):
    coupon = CouponFactory()
    url = reverse(CHANGELIST)

    response = staff_client.post(url, {"action": "pause", ACTION_CHECKBOX_NAME: [coupon.pk]})
    assert "Paused 1 coupon." in _messages(response)
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.PAUSED

    staff_client.post(url, {"action": "resume", ACTION_CHECKBOX_NAME: [coupon.pk]})
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ACTIVE

    staff_client.post(url, {"action": "end", ACTION_CHECKBOX_NAME: [coupon.pk]})
    response = staff_client.post(url, {"action": "resume", ACTION_CHECKBOX_NAME: [coupon.pk]})
    assert any("cannot become active" in m for m in _messages(response))
    coupon.refresh_from_db()
    assert coupon.status == CouponStatus.ENDED


def test_coupons_cannot_be_deleted(staff_client):
    coupon = CouponFactory()
    assert staff_client.get(reverse("admin:promotions_coupon_delete", args=[coupon.pk])).status_code == 403
    assert_admin_cannot_delete(staff_client, coupon)


def test_issued_coupons_are_read_only_and_filterable(staff_client, user):
    issued = coupon_claim(coupon_id=CouponFactory(code="FINDME").pk, user=user)
    coupon_claim(coupon_id=CouponFactory().pk, user=UserFactory())
    url = reverse("admin:promotions_issuedcoupon_changelist")
    assert staff_client.get(url, {"q": user.email}).context["cl"].result_count == 1
    assert staff_client.get(url, {"q": "findme"}).context["cl"].result_count == 1
    assert staff_client.get(url, {"used": "no"}).context["cl"].result_count == 2
    assert staff_client.get(url, {"used": "yes"}).context["cl"].result_count == 0
    assert staff_client.get(reverse("admin:promotions_issuedcoupon_add")).status_code == 403
    change = staff_client.get(reverse("admin:promotions_issuedcoupon_change", args=[issued.pk]))
    assert b'name="_save"' not in change.content
