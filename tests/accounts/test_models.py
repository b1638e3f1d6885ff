import pytest
from django.db import IntegrityError, transaction

from accounts.models import SELLER_TRANSITIONS, SellerStatus, User, UserProfile
from tests.factories.accounts import AddressFactory, SellerFactory, UserFactory, UserProfileFactory

pytestmark = pytest.mark.django_db


def test_a_user_can_have_only_one_primary_address_by_constraint():
    first = AddressFactory(is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        AddressFactory(user=first.user, is_primary=True)
    # Non-primary addresses are unlimited, and other users have their own primary.
    AddressFactory(user=first.user, is_primary=False)
    AddressFactory(is_primary=True)


@pytest.mark.parametrize("again", ["REG-1", "reg-1", "Reg-1"])
def test_seller_registration_number_is_unique_case_insensitively_by_constraint(again):
    SellerFactory(business_registration_number="REG-1")
    with pytest.raises(IntegrityError, match="seller_registration_number_unique_ci"), transaction.atomic():
        SellerFactory(business_registration_number=again)
    SellerFactory(business_registration_number="REG-2")


def test_email_is_unique_case_insensitively_even_past_the_manager():
    UserFactory(primary_address=False, email="ana@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypass the manager's lower-casing: the database constraint still refuses it.
        User.objects.bulk_create([User(email="ANA@example.com", password="x")])


def test_manager_stores_email_lower_case_and_signs_in_case_insensitively():
    user = User.objects.create_user(email="Mixed.Case@Example.COM", password="x")
    assert user.email == "mixed.case@example.com"
    assert User.objects.get_by_natural_key("MIXED.case@example.com") == user


def test_display_names_are_unique_case_insensitively_but_many_may_be_empty():
    UserProfileFactory(display_name="Shopper")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserProfileFactory(display_name="SHOPPER")
    UserProfile.objects.create(user=UserFactory(primary_address=False), display_name="")
    UserProfile.objects.create(user=UserFactory(primary_address=False), display_name="")


def test_user_name_falls_back_to_email():
    assert (
        UserFactory(primary_address=False, first_name="", last_name="", email="x@example.com").name == "x@example.com"
    )
    assert UserFactory(primary_address=False, first_name="Ada", last_name="Lovelace").name == "Ada Lovelace"


def test_every_seller_status_has_a_row_in_the_transition_table():
    assert set(SELLER_TRANSITIONS) == set(SellerStatus.values)
    assert SellerStatus.ACTIVE in SELLER_TRANSITIONS[SellerStatus.UNDER_REVIEW]
    assert SellerStatus.ACTIVE not in SELLER_TRANSITIONS[SellerStatus.INACTIVE]
