"""Every write of the accounts app: one function per use case, each owning its transaction.

Every object a user owns is fetched through that user (`Address.objects.filter(user=user, …)`),
so somebody else's id is a `NotFoundError`, never a leak.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from .exceptions import (
    AddressNotFoundError,
    AdministratorExistsError,
    AdministratorNotFoundError,
    DisplayNameTakenError,
    EmailTakenError,
    FieldError,
    InvalidTransitionError,
    RegistrationNumberTakenError,
    SellerAlreadyAppliedError,
    SellerNotFoundError,
    SignInNotFoundError,
    TokenInvalidError,
    WeakPasswordError,
)
from .models import (
    SELLER_TRANSITIONS,
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

logger = logging.getLogger(__name__)

ADMINISTRATOR_EDITABLE_FIELDS = frozenset({"role", "contact_phone"})
USER_EDITABLE_FIELDS = frozenset({"first_name", "last_name", "phone_number"})
PROFILE_EDITABLE_FIELDS = frozenset({"display_name", "bio", "website", "avatar_url", "social_links"})
ADDRESS_EDITABLE_FIELDS = frozenset(
    {
        "address_type",
        "recipient_name",
        "street_address",
        "street_address_line2",
        "city",
        "state",
        "postal_code",
        "country",
    }
)
PREFERENCES_EDITABLE_FIELDS = frozenset(
    {
        "language",
        "theme",
        "currency",
        "date_format",
        "time_format",
        "email_notifications",
        "push_notifications",
        "marketing_emails",
        "privacy_level",
        "personalization_enabled",
    }
)


# The statuses a seller is told about by email: the application's decision and later changes.
# Going back under review is the seller's own doing (a new application), so it sends nothing.
SELLER_DECISION_EMAILS = frozenset({SellerStatus.ACTIVE, SellerStatus.SUSPENDED, SellerStatus.INACTIVE})


# --- helpers ----------------------------------------------------------------------------------


def client_meta(request: HttpRequest) -> dict[str, Any]:
    """The user agent and the peer address (never a client-supplied forwarded-for header)."""
    return {
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512],
        "ip_address": request.META.get("REMOTE_ADDR") or None,
    }


def _constraint_name(exc: IntegrityError) -> str:
    """The name of the violated constraint, as PostgreSQL reports it ("" when unknown)."""
    diag = getattr(exc.__cause__, "diag", None)
    return str(getattr(diag, "constraint_name", "") or "")


def _check_changes(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        # A programming error, not user input: forms and serializers only pass known fields.
        raise ValueError(f"Fields that cannot be changed here: {sorted(unknown)}")


def _validate_fields(instance: Any, names: Iterable[str]) -> None:
    """Run the model's field validation (lengths, choices, URLs) on `names`; FieldError on failure."""
    names = set(names)
    exclude = [f.name for f in instance._meta.fields if f.name not in names]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        raise FieldError(fields=exc.message_dict) from exc


def _lock_owner(user: User) -> None:
    """Lock the user's row: the per-user mutex for writes that must not interleave."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _normalize_email(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise FieldError(field="email", messages=exc.messages) from exc
    return email


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPasswordError(messages=exc.messages) from exc


def _new_user(*, email: str, password: str, first_name: str, last_name: str, phone_number: str = "") -> User:
    """Create a user with a profile and preferences. Call inside a transaction."""
    email = _normalize_email(email)
    candidate = User(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), phone_number=phone_number.strip()
    )
    _validate_fields(candidate, ["first_name", "last_name", "phone_number"])
    _check_password(password, candidate)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTakenError()
    try:
        # A savepoint, so a lost race on the unique email is reported and the outer
        # transaction stays usable.
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=candidate.first_name,
                last_name=candidate.last_name,
                phone_number=candidate.phone_number,
            )
    except IntegrityError as exc:
        if "email" in _constraint_name(exc):
            raise EmailTakenError() from exc
        raise
    UserProfile.objects.create(user=user)
    UserPreferences.objects.create(user=user)
    return user


# --- registration and roles -------------------------------------------------------------------


def customer_register(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone_number: str = ""
) -> User:
    """Create a shopper: the user, the customer role, a profile and default preferences.

    Raises: EmailTakenError, WeakPasswordError, FieldError.
    """
    with transaction.atomic():
        user = _new_user(
            email=email, password=password, first_name=first_name, last_name=last_name, phone_number=phone_number
        )
        Customer.objects.create(user=user)
    logger.info("Customer registered: user %s", user.pk)
    return user


def seller_apply(
    *,
    user: User | None,
    business_name: str,
    business_registration_number: str,
    contact_person_name: str,
    contact_person_phone: str = "",
    email: str = "",
    password: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Seller:
    """Apply to sell, as the signed-in `user` or (when `user` is None) as a new account.

    The application waits under review until staff approve it.

    Raises: SellerAlreadyAppliedError, RegistrationNumberTakenError, EmailTakenError,
    WeakPasswordError, FieldError.
    """
    registration_number = business_registration_number.strip()
    seller = Seller(
        business_name=business_name.strip(),
        business_registration_number=registration_number,
        contact_person_name=contact_person_name.strip(),
        contact_person_phone=contact_person_phone.strip(),
        status=SellerStatus.UNDER_REVIEW,
    )
    _validate_fields(
        seller, ["business_name", "business_registration_number", "contact_person_name", "contact_person_phone"]
    )
    with transaction.atomic():
        if user is None:
            user = _new_user(email=email, password=password, first_name=first_name, last_name=last_name)
        else:
            # The user row is the lock that makes "one application per user" hold under a double submit.
            _lock_owner(user)
            if Seller.objects.filter(user=user).exists():
                raise SellerAlreadyAppliedError()
        # The friendly answer; the case-insensitive unique constraint is what makes it hold when
        # two applications with the same number race past this check.
        if Seller.objects.filter(business_registration_number__iexact=registration_number).exists():
            raise RegistrationNumberTakenError()
        seller.user = user
        try:
            with transaction.atomic():
                seller.save()
        except IntegrityError as exc:
            name = _constraint_name(exc)
            if name == "seller_registration_number_unique_ci":
                raise RegistrationNumberTakenError() from exc
            if "user_id" in name:
                raise SellerAlreadyAppliedError() from exc
            raise
    logger.info("Seller application %s by user %s", seller.pk, user.pk)
    return seller


def seller_set_status(*, seller_id: int, to: str, actor: User | None = None) -> Seller:
    """Move a seller to `to` (approve, suspend, deactivate, reopen) if the table allows it.

    Raises: NotFoundError, InvalidTransitionError.
    """
    if to not in SellerStatus.values:
        raise ValueError(f"Unknown seller status {to!r}")
    with transaction.atomic():
        seller = Seller.objects.select_for_update().filter(pk=seller_id).first()
        if seller is None:
            raise SellerNotFoundError()
        if to not in SELLER_TRANSITIONS[seller.status]:
            raise InvalidTransitionError(
                _("%(seller)s cannot go from %(old)s to %(new)s.")
                % {
                    "seller": seller.business_name,
                    "old": SellerStatus(seller.status).label,
                    "new": SellerStatus(to).label,
                },
                extra={"from": seller.status, "to": to},
            )
        old = seller.status
        seller.status = to
        seller.save(update_fields=["status", "updated_at"])
        if to in SELLER_DECISION_EMAILS:
            _seller_decision_email_after_commit(seller_id=seller.pk, status=to, previous=old)
    logger.info("Seller %s: %s -> %s by user %s", seller.pk, old, to, actor.pk if actor else None)
    return seller


def _seller_decision_email_after_commit(*, seller_id: int, status: str, previous: str) -> None:
    from .tasks import seller_decision_email_task

    # After commit: a rolled-back change sends nothing. robust: a broker that is down must not
    # turn a decision that was saved into an error page (the log has the failure).
    transaction.on_commit(
        lambda: seller_decision_email_task.delay(seller_id, status, previous),
        robust=True,
    )


def seller_decision_email_send(*, seller_id: int, status: str, previous: str) -> bool:
    """Email the seller that its status is now `status` (templates accounts/email/seller_<status>*).

    Sends nothing, and returns False, when the seller is gone or has moved to another status
    since (a later change sends its own email). Returns True when sent.
    """
    if status not in SELLER_DECISION_EMAILS:
        raise ValueError(f"No decision email for seller status {status!r}")
    seller = Seller.objects.select_related("user").filter(pk=seller_id).first()
    if seller is None or seller.status != status:
        return False
    context = {"seller": seller, "user": seller.user, "previous": previous}
    # One line, whatever the template's line breaks.
    subject = " ".join(render_to_string(f"accounts/email/seller_{status}_subject.txt", context).split())
    body = render_to_string(f"accounts/email/seller_{status}.txt", context)
    send_mail(subject, body, None, [seller.user.email])
    logger.info("Seller %s told by email: %s -> %s", seller.pk, previous, status)
    return True


# --- administrators ---------------------------------------------------------------------------
#
# Being an administrator is what makes a user staff (the admin site's door): the role profile and
# `is_staff` change together, here and nowhere else.


def administrator_create(*, user: User, role: str, contact_phone: str = "", actor: User | None = None) -> Administrator:
    """Make `user` an administrator with `role`; the user becomes staff.

    Raises: AdministratorExistsError, FieldError.
    """
    administrator = Administrator(role=role.strip(), contact_phone=contact_phone.strip())
    _validate_fields(administrator, ADMINISTRATOR_EDITABLE_FIELDS)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if Administrator.objects.filter(user=locked).exists():
            raise AdministratorExistsError()
        administrator.user = locked
        administrator.save()
        if not locked.is_staff:
            locked.is_staff = True
            locked.save(update_fields=["is_staff", "updated_at"])
    user.is_staff = True
    logger.info(
        "Administrator %s: user %s made staff by user %s", administrator.pk, user.pk, actor.pk if actor else None
    )
    return administrator


def administrator_update(*, administrator_id: int, data: Mapping[str, Any]) -> Administrator:
    """Change an administrator's role or contact phone. Raises: AdministratorNotFoundError, FieldError."""
    _check_changes(data, ADMINISTRATOR_EDITABLE_FIELDS)
    with transaction.atomic():
        administrator = Administrator.objects.select_for_update().filter(pk=administrator_id).first()
        if administrator is None:
            raise AdministratorNotFoundError()
        for name, value in data.items():
            setattr(administrator, name, value.strip() if isinstance(value, str) else value)
        _validate_fields(administrator, data)
        if data:
            administrator.save(update_fields=[*data, "updated_at"])
    return administrator


def administrator_remove(*, administrator_id: int, actor: User | None = None) -> User:
    """Delete the administrator profile; the user stops being staff unless a superuser.

    Returns the user. Raises: AdministratorNotFoundError.
    """
    with transaction.atomic():
        administrator = Administrator.objects.select_related("user").filter(pk=administrator_id).first()
        if administrator is None:
            raise AdministratorNotFoundError()
        user = User.objects.select_for_update().get(pk=administrator.user_id)
        administrator.delete()
        if user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff", "updated_at"])
    logger.info("Administrator %s removed: user %s by user %s", administrator_id, user.pk, actor.pk if actor else None)
    return user


# --- profile and preferences ------------------------------------------------------------------


def _social_links(value: Any) -> Any:
    """Trimmed addresses; a network given an empty address is dropped (that is how a link is removed).

    Anything but an object is left as it is, for the model's validator to refuse.
    """
    if not isinstance(value, Mapping):
        return value
    links = {network: url.strip() if isinstance(url, str) else url for network, url in value.items()}
    return {network: url for network, url in links.items() if url not in ("", None)}


def profile_update(*, user: User, data: Mapping[str, Any]) -> User:
    """Change the user's names and phone and the public profile (display name, bio, links).

    Display names are unique, case-insensitively. `social_links` replaces all the links with a
    {network: http(s) address} object (see `validators.SOCIAL_NETWORKS`).
    Raises: DisplayNameTakenError, FieldError.
    """
    _check_changes(data, USER_EDITABLE_FIELDS | PROFILE_EDITABLE_FIELDS)
    user_changes = {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if k in USER_EDITABLE_FIELDS}
    profile_changes = {
        k: v.strip() if isinstance(v, str) else v for k, v in data.items() if k in PROFILE_EDITABLE_FIELDS
    }
    if "social_links" in profile_changes:
        profile_changes["social_links"] = _social_links(profile_changes["social_links"])
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        profile, _created = UserProfile.objects.get_or_create(user=locked)
        for name, value in user_changes.items():
            setattr(locked, name, value)
        for name, value in profile_changes.items():
            setattr(profile, name, value)
        _validate_fields(locked, user_changes)
        _validate_fields(profile, profile_changes)
        display_name = profile.display_name
        if (
            "display_name" in profile_changes
            and display_name
            and UserProfile.objects.filter(display_name__iexact=display_name).exclude(user=locked).exists()
        ):
            raise DisplayNameTakenError()
        if user_changes:
            locked.save(update_fields=[*user_changes, "updated_at"])
        if profile_changes:
            try:
                with transaction.atomic():
                    profile.save(update_fields=[*profile_changes, "updated_at"])
            except IntegrityError as exc:
                if _constraint_name(exc) == "profile_display_name_unique_ci":
                    raise DisplayNameTakenError() from exc
                raise
    # The caller's object shows the change too (a page renders `request.user` afterwards).
    for name, value in user_changes.items():
        setattr(user, name, value)
    user.profile = profile
    return user


def preferences_update(*, user: User, data: Mapping[str, Any]) -> UserPreferences:
    """Change the user's preferences (created with the defaults when missing). Raises: FieldError."""
    _check_changes(data, PREFERENCES_EDITABLE_FIELDS)
    with transaction.atomic():
        preferences, _created = UserPreferences.objects.select_for_update().get_or_create(user=user)
        for name, value in data.items():
            setattr(preferences, name, value)
        _validate_fields(preferences, data)
        if data:
            preferences.save(update_fields=[*data, "updated_at"])
    return preferences


# --- addresses --------------------------------------------------------------------------------
#
# Every address write of a user first locks that user's row: the writes of one user run one at
# a time, so "exactly one primary" holds without retries, also for the very first address (when
# there is no address row to lock yet). Within that, address rows are locked in id order.


def _owned_address(*, user: User, address_id: int) -> Address:
    address = Address.objects.select_for_update().filter(user=user, pk=address_id).first()
    if address is None:
        raise AddressNotFoundError()
    return address


def address_create(*, user: User, data: Mapping[str, Any], is_primary: bool = False) -> Address:
    """Add an address. The user's first address, or one asked to be, becomes the primary one.

    Raises: FieldError.
    """
    _check_changes(data, ADDRESS_EDITABLE_FIELDS)
    address = Address(user=user, **{k: v.strip() if isinstance(v, str) else v for k, v in data.items()})
    _validate_fields(address, ADDRESS_EDITABLE_FIELDS)
    with transaction.atomic():
        _lock_owner(user)
        has_primary = Address.objects.filter(user=user, is_primary=True).exists()
        if is_primary and has_primary:
            # The constraint is not deferrable: the old primary steps down before the new one exists.
            Address.objects.filter(user=user, is_primary=True).update(is_primary=False, updated_at=timezone.now())
        address.is_primary = is_primary or not has_primary
        address.save()
    return address


def address_update(*, user: User, address_id: int, data: Mapping[str, Any]) -> Address:
    """Change an address's fields (which one is primary changes with `address_make_primary`).

    Raises: AddressNotFoundError, FieldError.
    """
    _check_changes(data, ADDRESS_EDITABLE_FIELDS)
    with transaction.atomic():
        address = _owned_address(user=user, address_id=address_id)
        for name, value in data.items():
            setattr(address, name, value.strip() if isinstance(value, str) else value)
        _validate_fields(address, data)
        if data:
            address.save(update_fields=[*data, "updated_at"])
    return address


def address_delete(*, user: User, address_id: int) -> Address | None:
    """Delete an address; when it was the primary one, the oldest remaining address takes over.

    Returns the new primary address, if one was promoted. Raises: AddressNotFoundError.
    """
    with transaction.atomic():
        _lock_owner(user)
        address = _owned_address(user=user, address_id=address_id)
        was_primary = address.is_primary
        address.delete()
        if not was_primary:
            return None
        successor = Address.objects.select_for_update().filter(user=user).order_by("id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary", "updated_at"])
    return successor


def address_make_primary(*, user: User, address_id: int) -> Address:
    """Make this address the primary one; the previous primary steps down in the same transaction.

    Raises: AddressNotFoundError.
    """
    with transaction.atomic():
        _lock_owner(user)
        address = _owned_address(user=user, address_id=address_id)
        if address.is_primary:
            return address
        Address.objects.filter(user=user, is_primary=True).update(is_primary=False, updated_at=timezone.now())
        address.is_primary = True
        address.save(update_fields=["is_primary", "updated_at"])
    return address


# --- passwords and sign-ins -------------------------------------------------------------------


def _session_store_delete(session_key: str) -> None:
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore(session_key=session_key).delete()


def _blacklist_jti(*, jti: str) -> None:
    for token in OutstandingToken.objects.filter(jti=jti):
        BlacklistedToken.objects.get_or_create(token=token)


def _end_sign_ins(*, user: User, keep_session_key: str | None) -> int:
    """End every sign-in of `user` except the browser session `keep_session_key`. In a transaction."""
    now = timezone.now()
    others = UserSession.objects.select_for_update().filter(user=user, is_active=True)
    if keep_session_key:
        others = others.exclude(session_key=keep_session_key)
    ended = 0
    for sign_in in others.order_by("pk"):
        if sign_in.session_key:
            _session_store_delete(sign_in.session_key)
        sign_in.is_active = False
        sign_in.ended_at = now
        sign_in.save(update_fields=["is_active", "ended_at", "updated_at"])
        ended += 1
    # Every refresh token of the user dies, also any minted without a UserSession row.
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)
    return ended


def user_password_change(*, user: User, new_password: str, keep_session_key: str | None = None) -> int:
    """Set a new password and end the user's other sign-ins (browser sessions and API tokens).

    `keep_session_key` is the browser session that asked for the change; it stays signed in
    (the caller refreshes its auth hash). Returns how many other sign-ins were ended.
    Raises: WeakPasswordError.
    """
    _check_password(new_password, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new_password)
        locked.save(update_fields=["password", "updated_at"])
        ended = _end_sign_ins(user=locked, keep_session_key=keep_session_key)
    user.password = locked.password
    logger.info("Password changed for user %s; %d other sign-ins ended", user.pk, ended)
    return ended


def user_session_start_web(*, user: User, session_key: str, user_agent: str, ip_address: str | None) -> UserSession:
    now = timezone.now()
    sign_in, _ = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "kind": SessionKind.WEB,
            "user_agent": user_agent,
            "ip_address": ip_address,
            "last_active_at": now,
            "expires_at": now + timedelta(seconds=settings.SESSION_COOKIE_AGE),
            "is_active": True,
            "ended_at": None,
        },
    )
    return sign_in


def user_session_start_api(
    *, user: User, refresh_jti: str, expires_at: datetime, user_agent: str, ip_address: str | None
) -> UserSession:
    return UserSession.objects.create(
        user=user,
        kind=SessionKind.API,
        refresh_jti=refresh_jti,
        user_agent=user_agent,
        ip_address=ip_address,
        expires_at=expires_at,
    )


def user_session_rekey(*, old_session_key: str, new_session_key: str) -> None:
    """Follow a browser session whose key was cycled (Django does so after a password change)."""
    UserSession.objects.filter(session_key=old_session_key).update(
        session_key=new_session_key, last_active_at=timezone.now()
    )


def user_session_touch(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key, is_active=True).update(last_active_at=timezone.now())


def user_session_close_by_key(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key, is_active=True).update(is_active=False, ended_at=timezone.now())


def user_session_end(*, user: User, session_id: int) -> UserSession:
    """Sign out one of the user's own sign-ins: the browser session or the refresh token dies.

    Raises: SignInNotFoundError (also for another user's sign-in).
    """
    with transaction.atomic():
        sign_in = UserSession.objects.select_for_update().filter(user=user, pk=session_id).first()
        if sign_in is None:
            raise SignInNotFoundError()
        if sign_in.is_active:
            sign_in.is_active = False
            sign_in.ended_at = timezone.now()
            sign_in.save(update_fields=["is_active", "ended_at", "updated_at"])
        if sign_in.session_key:
            _session_store_delete(sign_in.session_key)
        if sign_in.refresh_jti:
            _blacklist_jti(jti=sign_in.refresh_jti)
    return sign_in


def guest_touch(*, session_key: str, user_agent: str, ip_address: str | None) -> Guest:
    guest, _ = Guest.objects.update_or_create(
        session_key=session_key,
        defaults={"last_active_at": timezone.now(), "user_agent": user_agent, "ip_address": ip_address},
    )
    return guest


# --- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    sign_in: UserSession | None


def _refresh_token(raw: str) -> RefreshToken:
    try:
        # Checks the signature, the expiry and the blacklist.
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise TokenInvalidError() from exc


def user_api_sign_in(*, user: User, user_agent: str, ip_address: str | None) -> TokenPair:
    """Mint an access/refresh pair for an authenticated user and record the sign-in."""
    with transaction.atomic():
        refresh = RefreshToken.for_user(user)
        sign_in = user_session_start_api(
            user=user,
            refresh_jti=str(refresh["jti"]),
            expires_at=datetime_from_epoch(refresh["exp"]),
            user_agent=user_agent,
            ip_address=ip_address,
        )
        update_last_login(User, user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh), sign_in=sign_in)


def user_api_token_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted, the sign-in follows the new one.

    Raises: TokenInvalidError (also for a refresh token that was already rotated).
    """
    with transaction.atomic():
        token = _refresh_token(refresh)
        jti = str(token["jti"])
        # Two requests racing with the same token: the second waits here, then finds it blacklisted.
        sign_in = UserSession.objects.select_for_update().filter(refresh_jti=jti).first()
        if BlacklistedToken.objects.filter(token__jti=jti).exists() or (sign_in is not None and not sign_in.is_active):
            raise TokenInvalidError()
        user = User.objects.filter(pk=token.get("user_id"), is_active=True).first()
        if user is None:
            raise TokenInvalidError(_("No active account found for the given token."))
        token.blacklist()
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
        if sign_in is not None:
            sign_in.refresh_jti = str(token["jti"])
            sign_in.expires_at = datetime_from_epoch(token["exp"])
            sign_in.last_active_at = timezone.now()
            sign_in.save(update_fields=["refresh_jti", "expires_at", "last_active_at", "updated_at"])
    return TokenPair(access=str(token.access_token), refresh=str(token), sign_in=sign_in)


def user_api_sign_out(*, refresh: str) -> None:
    """Blacklist the refresh token and close its sign-in. Raises: TokenInvalidError."""
    with transaction.atomic():
        token = _refresh_token(refresh)
        jti = str(token["jti"])
        sign_in = UserSession.objects.select_for_update().filter(refresh_jti=jti).first()
        token.blacklist()
        if sign_in is not None and sign_in.is_active:
            sign_in.is_active = False
            sign_in.ended_at = timezone.now()
            sign_in.save(update_fields=["is_active", "ended_at", "updated_at"])
