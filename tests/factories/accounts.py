from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import (
    Address,
    Administrator,
    Customer,
    Guest,
    Seller,
    SellerStatus,
    SessionKind,
    User,
    UserPreferences,
    UserProfile,
    UserSession,
)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    # Every user has a primary delivery address, as checkout needs one; `primary_address=False`
    # (`user__primary_address=False` through another factory) leaves the address book empty.
    @factory.post_generation
    def primary_address(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            AddressFactory(user=obj, is_primary=True, **kwargs)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)


class SellerFactory(DjangoModelFactory):
    class Meta:
        model = Seller

    user = factory.SubFactory(UserFactory)
    business_name = factory.Faker("company")
    business_registration_number = factory.Sequence(lambda n: f"BRN-{n:06d}")
    contact_person_name = factory.Faker("name")
    status = SellerStatus.ACTIVE


class AdministratorFactory(DjangoModelFactory):
    class Meta:
        model = Administrator

    user = factory.SubFactory(UserFactory, is_staff=True)
    role = "Support"


class UserProfileFactory(DjangoModelFactory):
    class Meta:
        model = UserProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"shopper{n}")


class UserPreferencesFactory(DjangoModelFactory):
    class Meta:
        model = UserPreferences

    user = factory.SubFactory(UserFactory)


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory, primary_address=False)
    recipient_name = factory.Faker("name")
    street_address = factory.Faker("street_address")
    city = factory.Faker("city")
    postal_code = factory.Faker("postcode")
    country = "US"


class UserSessionFactory(DjangoModelFactory):
    """A recorded API sign-in (without a real token: for listing and admin pages)."""

    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    kind = SessionKind.API
    refresh_jti = factory.Sequence(lambda n: f"jti-{n:08d}")
    user_agent = "ShopApp/1.0 (iPhone)"
    ip_address = "198.51.100.7"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class GuestFactory(DjangoModelFactory):
    class Meta:
        model = Guest

    session_key = factory.Sequence(lambda n: f"guestsession{n:028d}")
    user_agent = "Mozilla/5.0"
    ip_address = "198.51.100.8"
