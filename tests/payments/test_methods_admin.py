"""Staff see saved payment methods read-only, without the gateway's token."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.models import PaymentMethod
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import UserFactory

from .saved_cards import MASTERCARD, VISA, saved_card

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:payments_paymentmethod_changelist")


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def test_the_list_shows_cards_without_tokens_in_constant_queries(staff_client, user):
    method = saved_card(user, VISA)
    staff_client.get(CHANGELIST)
    before = _queries(staff_client)
    for _ in range(3):
        saved_card(UserFactory(), MASTERCARD)
    assert _queries(staff_client) == before

    html = staff_client.get(CHANGELIST).content.decode()
    assert "Visa •••• 4242" in html and user.email in html
    assert method.token not in html and VISA not in html


def test_the_change_page_is_read_only_and_never_shows_the_token(staff_client, user):
    method = saved_card(user, billing={"billing_name": "Ada Lovelace"})
    PaymentMethod.objects.filter(pk=method.pk).update(exp_year=2001, exp_month=2)

    response = staff_client.get(reverse("admin:payments_paymentmethod_change", args=[method.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html and "02/2001 (expired)" in html
    assert method.token not in html
    assert b'name="_save"' not in response.content
    assert staff_client.get(reverse("admin:payments_paymentmethod_add")).status_code == 403
    assert_admin_cannot_delete(staff_client, method)


def test_search_by_email_and_last4(staff_client, user, other_user):
    saved_card(user, VISA)
    saved_card(other_user, MASTERCARD)
    assert staff_client.get(CHANGELIST, {"q": user.email}).context["cl"].result_count == 1
    assert staff_client.get(CHANGELIST, {"q": "4444"}).context["cl"].result_count == 1
