"""Whose cart a request means: the signed-in customer's, or the visitor's `Guest`'s.

A visitor's guest is found through the session (`GUEST_SESSION_KEY`, server-side, so a client
cannot name another guest): the session survives signing in (Django cycles its key but keeps its
data), which is how the sign-in handler finds the guest cart to merge. Pages and the API (session
clients) share these two functions; a JWT client is always a customer.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import HttpRequest

from accounts.models import Guest, User
from common.http import client_meta, same_site_url

from .models import DeviceType

# The session entry naming the visitor's guest (its primary key).
GUEST_SESSION_KEY = "cart_guest_id"


@dataclass(frozen=True)
class CartOwner:
    """Exactly one of the two is set; pass as `**owner.as_kwargs()` to the carts services."""

    user: User | None = None
    guest: Guest | None = None

    def as_kwargs(self) -> dict[str, User | Guest | None]:
        return {"user": self.user, "guest": self.guest}


def _session_guest(request: HttpRequest) -> Guest | None:
    session = getattr(request, "session", None)
    # Only a visitor who sent a session cookie can have one: reading the session of a visitor
    # without one would make their pages unshareable by the public cache for nothing.
    if session is None or not session.session_key:
        return None
    guest_id = session.get(GUEST_SESSION_KEY)
    if not isinstance(guest_id, int):
        return None
    return Guest.objects.filter(pk=guest_id).first()


def cart_owner(request: HttpRequest) -> CartOwner | None:
    """The owner of the request's cart, or None: a visitor who has no guest yet (no cart)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return CartOwner(user=user)
    guest = _session_guest(request)
    return CartOwner(guest=guest) if guest is not None else None


def cart_owner_or_new(request: HttpRequest) -> CartOwner:
    """`cart_owner`, making the visitor's guest (and their session) first if they have none: for
    a write, e.g. a visitor's first "Add to cart"."""
    owner = cart_owner(request)
    if owner is not None:
        return owner
    session = request.session
    if not session.session_key:
        session.save()  # a key now: the guest row is keyed by it
    meta = client_meta(request)
    guest, _ = Guest.objects.get_or_create(
        session_key=session.session_key,
        defaults={"user_agent": meta["user_agent"][:512], "ip_address": meta["ip_address"]},
    )
    session[GUEST_SESSION_KEY] = guest.pk
    return CartOwner(guest=guest)


def guest_id_of_session(request: HttpRequest) -> int | None:
    """The guest the session named before a sign-in (read by the sign-in handler to merge)."""
    session = getattr(request, "session", None)
    guest_id = session.get(GUEST_SESSION_KEY) if session is not None else None
    return guest_id if isinstance(guest_id, int) else None


@dataclass(frozen=True)
class CartClient:
    """Where a cart was last touched from, kept on the cart (and copied by an abandonment):
    the page, the device and how the shopper came to the shop."""

    exit_page: str = ""
    device_type: str = DeviceType.UNKNOWN
    referral_source: str = ""


# Referrer hosts by the source they stand for ("direct" when none, the host otherwise).
_REFERRAL_SOURCES = {
    "google": "google",
    "bing": "bing",
    "duckduckgo": "duckduckgo",
    "facebook": "social_media",
    "instagram": "social_media",
    "t.co": "social_media",
    "twitter": "social_media",
    "x.com": "social_media",
    "pinterest": "social_media",
    "tiktok": "social_media",
}


def _device_type(user_agent: str) -> str:
    agent = user_agent.lower()
    if "ipad" in agent or "tablet" in agent:
        return DeviceType.TABLET
    if "mobi" in agent or "android" in agent or "iphone" in agent:
        return DeviceType.MOBILE
    return DeviceType.DESKTOP if agent else DeviceType.UNKNOWN


def cart_client(request: HttpRequest, *, api: bool = False) -> CartClient:
    """The request's `CartClient`. A page's `exit_page` is the page the shopper was on (the form's
    `next` or the referrer, ours only); an API client is an app, its page the endpoint."""
    if api:
        return CartClient(exit_page=request.path[:512], device_type=DeviceType.APP, referral_source="app")
    page = same_site_url(request, request.POST.get("next"), request.headers.get("referer")) or request.path
    referrer = request.headers.get("referer", "")
    host = (urlsplit(referrer).hostname or "").lower()
    if not host or host == request.get_host().split(":")[0].lower():
        source = "direct"
    else:
        source = next((name for key, name in _REFERRAL_SOURCES.items() if key in host), host)
    return CartClient(
        exit_page=page[:512], device_type=_device_type(client_meta(request)["user_agent"]), referral_source=source[:64]
    )
