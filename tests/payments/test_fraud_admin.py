"""The staff console for fraud: checks (filters, search, clear and block with a note) and the rules."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.models import FraudCheck, FraudRules, FraudStatus, PaymentStatus
from payments.services.fraud import fraud_assess, fraud_rules
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import UserFactory

from .fraud_helpers import payment_made, rules_set

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:payments_fraudcheck_changelist"


def held(user, *, billing="US", shipping="DE") -> FraudCheck:
    payment = payment_made(user, status=PaymentStatus.REVIEW)
    return fraud_assess(
        payment=payment, ip_address=None, device_fingerprint="", billing_country=billing, shipping_country=shipping
    )


@pytest.fixture
def flagged(user):
    rules_set(review_threshold=Decimal("0.200"))
    check = held(user)
    assert check.status == FraudStatus.FLAGGED
    return check


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_checks_list_is_read_only_and_costs_the_same_queries_for_more_rows(staff_client, flagged):
    url = reverse(CHANGELIST)
    staff_client.get(url)
    before = _queries(staff_client, url)
    for _ in range(3):
        held(UserFactory())
    assert _queries(staff_client, url) == before
    html = staff_client.get(url).content.decode()
    assert "Billing country is not the shipping country" in html
    change = staff_client.get(reverse("admin:payments_fraudcheck_change", args=[flagged.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert staff_client.get(reverse("admin:payments_fraudcheck_add")).status_code == 403
    assert_admin_cannot_delete(staff_client, flagged)


def test_the_checks_list_filters_by_status_and_score_and_searches_by_email(staff_client, flagged, other_user):
    cleared = held(other_user, billing="US", shipping="US")
    assert cleared.status == FraudStatus.CLEARED
    url = reverse(CHANGELIST)
    assert list(staff_client.get(url, {"status__exact": "flagged"}).context["cl"].result_list) == [flagged]
    assert set(staff_client.get(url, {"score": "low"}).context["cl"].result_list) == {flagged, cleared}
    assert list(staff_client.get(url, {"score": "high"}).context["cl"].result_list) == []
    FraudCheck.objects.filter(pk=flagged.pk).update(risk_score=Decimal("0.500"))
    assert list(staff_client.get(url, {"score": "high"}).context["cl"].result_list) == [flagged]
    assert list(staff_client.get(url, {"score": "low"}).context["cl"].result_list) == [cleared]
    assert list(staff_client.get(url, {"q": other_user.email}).context["cl"].result_list) == [cleared]


@pytest.mark.parametrize(
    ("action", "status", "payment_status"),
    [
        ("clear_checks", FraudStatus.CLEARED, PaymentStatus.PENDING),
        ("block_checks", FraudStatus.BLOCKED, PaymentStatus.FAILED),
    ],
)
def test_a_review_action_asks_for_a_note_then_calls_the_service(
    staff_client, superuser, flagged, action, status, payment_status, django_capture_on_commit_callbacks
):
    url = reverse(CHANGELIST)
    selection = {"action": action, ACTION_CHECKBOX_NAME: [flagged.pk]}
    form = staff_client.post(url, selection)
    assert form.status_code == 200 and b'name="note"' in form.content and b"Payment" in form.content
    empty = staff_client.post(url, {**selection, "apply": "1", "note": ""})
    assert empty.status_code == 200 and b"This field is required." in empty.content
    flagged.refresh_from_db()
    assert flagged.status == FraudStatus.FLAGGED  # nothing done without a note

    with django_capture_on_commit_callbacks(execute=False):
        done = staff_client.post(url, {**selection, "apply": "1", "note": "Checked with the bank"})
    assert done.status_code == 302
    flagged.refresh_from_db()
    flagged.payment.refresh_from_db()
    assert flagged.status == status and flagged.review_note == "Checked with the bank"
    assert flagged.reviewed_by == superuser
    assert flagged.payment.status == payment_status


def test_a_review_action_reports_checks_not_awaiting_review(staff_client, flagged, other_user):
    cleared = held(other_user, billing="US", shipping="US")
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "block_checks", ACTION_CHECKBOX_NAME: [flagged.pk, cleared.pk], "apply": "1", "note": "batch"},
        follow=True,
    )
    messages = _messages(response)
    assert any("Only a payment flagged for review can be cleared or blocked." in m for m in messages)
    assert any("Blocked 1 payment(s)." in m for m in messages)
    cleared.refresh_from_db()
    assert cleared.status == FraudStatus.CLEARED


def test_staff_without_the_change_permission_have_no_review_actions(client, flagged):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_fraudcheck"))
    client.force_login(viewer)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "clear_checks" not in html and "block_checks" not in html
    client.post(
        reverse(CHANGELIST), {"action": "block_checks", ACTION_CHECKBOX_NAME: [flagged.pk], "apply": "1", "note": "x"}
    )
    flagged.refresh_from_db()
    assert flagged.status == FraudStatus.FLAGGED


# --- the rules --------------------------------------------------------------------------------


def _rules_form(rules: FraudRules, **changes) -> dict[str, str]:
    fields = [
        "review_threshold",
        "block_threshold",
        "velocity_window_minutes",
        "customer_velocity_limit",
        "customer_velocity_weight",
        "address_velocity_limit",
        "address_velocity_weight",
        "unusual_amount_multiple",
        "unusual_amount_weight",
        "declines_limit",
        "declines_weight",
        "country_mismatch_weight",
    ]
    return {**{name: str(getattr(rules, name)) for name in fields}, **changes}


def test_the_rules_list_opens_the_one_row_which_cannot_be_added_or_deleted(staff_client):
    response = staff_client.get(reverse("admin:payments_fraudrules_changelist"))
    rules = FraudRules.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payments_fraudrules_change", args=[rules.pk])
    assert staff_client.get(response["Location"]).status_code == 200
    assert staff_client.get(reverse("admin:payments_fraudrules_add")).status_code == 403
    assert_admin_cannot_delete(staff_client, rules)
    staff_client.get(reverse("admin:payments_fraudrules_changelist"))
    assert FraudRules.objects.count() == 1


def test_changing_the_rules_in_admin_changes_the_verdict(staff_client, user, other_user):
    rules = rules_set()  # review at 0.500: a country mismatch alone (0.200) is cleared
    assert held(user).status == FraudStatus.CLEARED
    url = reverse("admin:payments_fraudrules_change", args=[rules.pk])
    response = staff_client.post(url, _rules_form(rules, review_threshold="0.150"))
    assert response.status_code == 302, response.content
    assert fraud_rules().review_threshold == Decimal("0.150")
    assert held(other_user).status == FraudStatus.FLAGGED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"review_threshold": "0.900", "block_threshold": "0.800"}, "review_threshold"),
        ({"block_threshold": "1.500"}, "block_threshold"),
        ({"review_threshold": "-0.100"}, "review_threshold"),
        ({"country_mismatch_weight": "2"}, "country_mismatch_weight"),
        ({"customer_velocity_limit": "0"}, "customer_velocity_limit"),
        ({"velocity_window_minutes": "0"}, "velocity_window_minutes"),
        ({"unusual_amount_multiple": "0.50"}, "unusual_amount_multiple"),
    ],
)
def test_the_rules_form_refuses_values_out_of_range(staff_client, changes, field):
    rules = rules_set()
    before = FraudRules.objects.values().get()
    response = staff_client.post(
        reverse("admin:payments_fraudrules_change", args=[rules.pk]), _rules_form(rules, **changes)
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert FraudRules.objects.values().get() == before
