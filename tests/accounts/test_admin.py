"""The staff console: every accounts page loads for a superuser; actions go through the services."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import (
    Address,
    Administrator,
    Customer,
    Guest,
    Seller,
    SellerStatus,
    User,
    UserPreferences,
    UserProfile,
    UserSession,
)
from tests.admin_checks import assert_admin_cannot_delete
from tests.factories.accounts import (
    AddressFactory,
    AdministratorFactory,
    CustomerFactory,
    GuestFactory,
    SellerFactory,
    UserFactory,
    UserPreferencesFactory,
    UserProfileFactory,
    UserSessionFactory,
)

from .conftest import page_sign_in

pytestmark = pytest.mark.django_db

MODELS = {
    User: UserFactory,
    Customer: CustomerFactory,
    Seller: SellerFactory,
    Administrator: AdministratorFactory,
    UserProfile: UserProfileFactory,
    Address: AddressFactory,
    UserSession: UserSessionFactory,
    UserPreferences: UserPreferencesFactory,
    Guest: GuestFactory,
}
READ_ONLY = {UserSession, Guest}
NEW_PASSWORD = {"usable_password": "true", "password1": "x-Long-pass-77", "password2": "x-Long-pass-77"}


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser(email="boss@example.com", password="boss-password-123")
    client = Client()
    client.force_login(admin)
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:accounts_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_every_accounts_model_is_registered():
    registered = {model for model in site._registry if model._meta.app_label == "accounts"}
    assert registered == set(MODELS)


@pytest.mark.parametrize("model", list(MODELS), ids=lambda m: m.__name__)
def test_changelist_search_and_change_pages_load(admin_client, model):
    obj = MODELS[model]()
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "example"}).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m not in READ_ONLY], ids=lambda m: m.__name__)
def test_add_pages_load(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", sorted(READ_ONLY, key=str), ids=lambda m: m.__name__)
def test_records_cannot_be_added_by_hand(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 403


def test_sign_in_records_cannot_be_deleted(admin_client):
    """Deleting the record would not sign anybody out (ending it does), so it is never deleted."""
    assert_admin_cannot_delete(admin_client, UserSessionFactory())


def test_adding_a_user_with_an_email_login(admin_client):
    UserFactory(primary_address=False, email="taken@example.com")
    response = admin_client.post(
        admin_url(User, "add"),
        {"email": "TAKEN@example.com", **NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "An account with this email address already exists." in response.content.decode()

    response = admin_client.post(
        admin_url(User, "add"),
        {"email": "Staff@Example.com", **NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(email="staff@example.com").check_password("x-Long-pass-77")


def test_approve_and_suspend_actions_use_the_transition_table(admin_client):
    waiting = SellerFactory(status=SellerStatus.UNDER_REVIEW)
    closed = SellerFactory(status=SellerStatus.INACTIVE, business_name="Closed Shop")

    response = admin_client.post(
        admin_url(Seller, "changelist"),
        {"action": "approve_sellers", "_selected_action": [waiting.pk, closed.pk]},
        follow=True,
    )

    waiting.refresh_from_db()
    closed.refresh_from_db()
    assert waiting.status == SellerStatus.ACTIVE
    assert closed.status == SellerStatus.INACTIVE
    found = messages_of(response)
    assert ("success", "1 seller was approved.") in found
    assert ("error", "Closed Shop: Closed Shop cannot go from Inactive to Active.") in found

    admin_client.post(admin_url(Seller, "changelist"), {"action": "suspend_sellers", "_selected_action": [waiting.pk]})
    waiting.refresh_from_db()
    assert waiting.status == SellerStatus.SUSPENDED


def test_approving_in_the_admin_emails_the_seller(admin_client, django_capture_on_commit_callbacks, mailoutbox):
    waiting = SellerFactory(status=SellerStatus.UNDER_REVIEW, business_name="Looms", user__email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(Seller, "changelist"), {"action": "approve_sellers", "_selected_action": [waiting.pk]}
        )
    assert [(m.to, m.subject) for m in mailoutbox] == [(["ada@example.com"], "Looms is approved to sell")]


def test_seller_status_is_read_only_in_the_form(admin_client):
    seller = SellerFactory(status=SellerStatus.UNDER_REVIEW)
    html = admin_client.get(admin_url(Seller, "change", seller.pk)).content.decode()
    assert 'name="status"' not in html


def test_ending_sign_ins_from_the_admin_signs_the_browser_out(admin_client):
    user = UserFactory(primary_address=False)
    browser = Client()
    page_sign_in(browser, user.email)
    sign_in = UserSession.objects.get(user=user)
    response = admin_client.post(
        admin_url(UserSession, "changelist"), {"action": "end_sign_ins", "_selected_action": [sign_in.pk]}, follow=True
    )
    assert ("success", "1 sign-in was ended.") in messages_of(response)
    assert browser.get(reverse("accounts:overview")).status_code == 302
    sign_in.refresh_from_db()
    assert not sign_in.is_active


def test_address_admin_keeps_one_primary(admin_client):
    user = UserFactory(primary_address=False)
    response = admin_client.post(
        admin_url(Address, "add"),
        {
            "user": user.pk,
            "address_type": "home",
            "recipient_name": "R",
            "street_address": "S",
            "city": "C",
            "postal_code": "P",
            "country": "GB",
        },
    )
    assert response.status_code == 302
    first = Address.objects.get(user=user)
    assert first.is_primary  # the first address becomes primary, as on the customer's pages
    second = AddressFactory(user=user)
    admin_client.post(admin_url(Address, "delete", first.pk), {"post": "yes"})
    second.refresh_from_db()
    assert second.is_primary


def test_adding_an_administrator_in_the_admin_makes_the_user_staff(admin_client):
    user = UserFactory(primary_address=False)
    response = admin_client.post(
        admin_url(Administrator, "add"), {"user": user.pk, "role": "Support", "contact_phone": ""}
    )
    assert response.status_code == 302, response.content
    administrator = Administrator.objects.get(user=user)
    assert administrator.role == "Support"
    user.refresh_from_db()
    assert user.is_staff

    # A second profile for the same user is refused by the form, and nothing changes.
    response = admin_client.post(admin_url(Administrator, "add"), {"user": user.pk, "role": "Other"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Administrator.objects.filter(user=user).count() == 1


def test_changing_an_administrator_keeps_the_user_and_saves_the_role(admin_client):
    administrator = AdministratorFactory(role="Support")
    html = admin_client.get(admin_url(Administrator, "change", administrator.pk)).content.decode()
    assert 'name="user"' not in html
    response = admin_client.post(
        admin_url(Administrator, "change", administrator.pk), {"role": "Catalogue", "contact_phone": "+1 555"}
    )
    assert response.status_code == 302, response.content
    administrator.refresh_from_db()
    assert (administrator.role, administrator.contact_phone) == ("Catalogue", "+1 555")
    assert User.objects.get(pk=administrator.user_id).is_staff


def test_deleting_administrators_in_the_admin_drops_staff_status_except_for_superusers(admin_client):
    one = services.administrator_create(user=UserFactory(primary_address=False), role="Support")
    two = services.administrator_create(user=UserFactory(primary_address=False), role="Support")
    boss = services.administrator_create(
        user=UserFactory(primary_address=False, is_staff=True, is_superuser=True), role="Owner"
    )

    admin_client.post(admin_url(Administrator, "delete", one.pk), {"post": "yes"})
    admin_client.post(
        admin_url(Administrator, "changelist"),
        {"action": "delete_selected", "_selected_action": [two.pk, boss.pk], "post": "yes"},
    )

    assert not Administrator.objects.exists()
    staff = dict(User.objects.filter(pk__in=[one.user_id, two.user_id, boss.user_id]).values_list("pk", "is_staff"))
    assert staff == {one.user_id: False, two.user_id: False, boss.user_id: True}
