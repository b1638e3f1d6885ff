"""Demo accounts for `manage.py seed_demo`: an administrator, a customer and an active seller.

Idempotent: existing accounts are left as they are (their passwords too), missing ones are made.
The passwords are public; `seed_demo` refuses to run with DEBUG off unless forced.
"""

from io import TextIOBase

from django.db import transaction

from . import services
from .models import Address, Administrator, Customer, Seller, SellerStatus, User, UserPreferences, UserProfile

ADMIN_EMAIL = "admin@example.com"
# Public on purpose: printed by seed_demo and shown in the README of a demo machine.
ADMIN_PASSWORD = "demo-admin-password"  # noqa: S105
CUSTOMER_EMAIL = "customer@example.com"
CUSTOMER_PASSWORD = "demo-customer-password"  # noqa: S105
SELLER_EMAIL = "seller@example.com"
SELLER_PASSWORD = "demo-seller-password"  # noqa: S105
SELLER_REGISTRATION_NUMBER = "DEMO-SELLER-0001"


def _user(email: str, password: str, **fields: object) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(email=email, password=password, **fields)
    return user, True


def _profile_and_preferences(user: User, display_name: str) -> None:
    UserProfile.objects.get_or_create(user=user, defaults={"display_name": display_name})
    UserPreferences.objects.get_or_create(user=user)


@transaction.atomic
def seed(stdout: TextIOBase) -> None:
    admin, created = _user(ADMIN_EMAIL, ADMIN_PASSWORD, first_name="Ada", last_name="Admin")
    if created:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    if not Administrator.objects.filter(user=admin).exists():
        services.administrator_create(user=admin, role="Platform administrator")
    _profile_and_preferences(admin, "Shop team")

    customer, _ = _user(CUSTOMER_EMAIL, CUSTOMER_PASSWORD, first_name="Casey", last_name="Customer")
    Customer.objects.get_or_create(user=customer)
    _profile_and_preferences(customer, "Casey")
    if not Address.objects.filter(user=customer).exists():
        Address.objects.create(
            user=customer,
            recipient_name="Casey Customer",
            street_address="1 Demo Street",
            city="Springfield",
            state="IL",
            postal_code="62701",
            country="US",
            is_primary=True,
        )

    seller_user, _ = _user(SELLER_EMAIL, SELLER_PASSWORD, first_name="Sam", last_name="Seller")
    _profile_and_preferences(seller_user, "Sam's Goods")
    Seller.objects.get_or_create(
        user=seller_user,
        defaults={
            "business_name": "Sam's Goods",
            "business_registration_number": SELLER_REGISTRATION_NUMBER,
            "contact_person_name": "Sam Seller",
            "status": SellerStatus.ACTIVE,
        },
    )

    stdout.write("Demo sign-ins (created once; an existing account keeps its password):\n")
    for role, email, password in (
        ("administrator", ADMIN_EMAIL, ADMIN_PASSWORD),
        ("customer", CUSTOMER_EMAIL, CUSTOMER_PASSWORD),
        ("seller", SELLER_EMAIL, SELLER_PASSWORD),
    ):
        stdout.write(f"  {role:<14} {email:<22} {password}\n")
