"""Reads of the accounts app that pages, the API and admin share.

Everything a user owns is read through that user, so another user's id finds nothing.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from common.prepared import PreparedQuery
from common.public_cache import customer_value

from .exceptions import AddressNotFoundError
from .models import Address, Customer, Seller, User, UserPreferences, UserProfile, UserSession
from .validators import SOCIAL_NETWORKS

_MAX_USER_ID = 2**63 - 1


def user_for_request(user_id: Any) -> User | None:
    """The user a browser session or an API token names, with its seller profile (or the "no
    seller" the account menu reads), or None when there is no such user or the id is garbage.

    Kept per customer (`customer_value`): a signed-in request reads it from Redis or the worker's
    memory instead of the database. Every save or delete of the user or seller row bumps the
    customer (`accounts.signals`), so a password change, deactivation or soft deletion is seen at
    the next request. Each read is a fresh unpickled copy, so a request changing its
    `request.user` changes no other request's. Whether the user may still sign in is the caller's
    check (`accounts.authentication.user_can_sign_in`), on every request, kept user or not.
    """
    if isinstance(user_id, bool):
        return None
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
        user_id = int(user_id)
    if not isinstance(user_id, int) or not 0 < user_id <= _MAX_USER_ID:
        return None
    pk = user_id

    def compute() -> User | None:
        try:
            return User._default_manager.select_related("seller").get(pk=pk)
        except User.DoesNotExist:
            return None  # kept too: creating a user with this id bumps it

    user: User | None = customer_value(pk, "accounts:request-user", compute)
    return user


def profile_for(*, user: User) -> UserProfile:
    """The user's profile, or an unsaved empty one for accounts created without it (admin, shell)."""
    return UserProfile.objects.filter(user=user).first() or UserProfile(user=user)


def social_links_of(*, profile: UserProfile) -> dict[str, str]:
    """The profile's {network: address} links in the order of `SOCIAL_NETWORKS` (rows from before
    links were an object hold a list: no links)."""
    links = profile.social_links if isinstance(profile.social_links, dict) else {}
    return {network: links[network] for network in SOCIAL_NETWORKS if isinstance(links.get(network), str)}


def preferences_for(*, user: User) -> UserPreferences:
    """The user's preferences, or unsaved defaults when none were stored yet."""
    return UserPreferences.objects.filter(user=user).first() or UserPreferences(user=user)


def seller_for(*, user: User) -> Seller | None:
    return Seller.objects.filter(user=user).first()


def is_customer(*, user: User) -> bool:
    return Customer.objects.filter(user=user).exists()


def address_list(*, user: User) -> QuerySet[Address]:
    """The user's addresses, the primary one first."""
    return Address.objects.filter(user=user).order_by("-is_primary", "id")


def address_get(*, user: User, address_id: int) -> Address:
    """One of the user's addresses. Raises: AddressNotFoundError (also for another user's id)."""
    address = Address.objects.filter(user=user, pk=address_id).first()
    if address is None:
        raise AddressNotFoundError()
    return address


# Read for the cart page's delivery quote (kept per customer: `address_primary_kept`) and the
# account overview: compiled once per worker (common/prepared.py).
_PRIMARY_ADDRESS = PreparedQuery(
    lambda user_id: Address.objects.filter(user_id=user_id, is_primary=True).order_by("pk")[:1]
)


def address_primary(*, user: User) -> Address | None:
    found = _PRIMARY_ADDRESS.run(user_id=user.pk)
    return found[0] if found else None


def address_primary_kept(*, user: User) -> Address | None:
    """`address_primary`, kept per customer (`customer_value`): the cart page's delivery estimate
    shows it on every render. Every write of an address bumps its customer after commit (the
    address services, and `accounts.signals` for a row saved or deleted anywhere else), so a new
    primary address shows at the next request. Each read is a fresh unpickled copy."""
    address: Address | None = customer_value(user.pk, "accounts:primary-address", lambda: address_primary(user=user))
    return address


def user_session_list(*, user: User) -> QuerySet[UserSession]:
    """The user's sign-ins that are still active and not expired, the most recently used first."""
    return UserSession.objects.filter(user=user, is_active=True, expires_at__gt=timezone.now()).order_by(
        "-last_active_at", "-id"
    )


@dataclass(frozen=True)
class AccountOverview:
    user: User
    seller: Seller | None
    is_customer: bool
    primary_address: Address | None
    address_count: int
    active_sign_ins: int


def account_overview(*, user: User) -> AccountOverview:
    return AccountOverview(
        user=user,
        seller=seller_for(user=user),
        is_customer=is_customer(user=user),
        primary_address=address_primary(user=user),
        address_count=Address.objects.filter(user=user).count(),
        active_sign_ins=user_session_list(user=user).count(),
    )
