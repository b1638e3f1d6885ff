"""Passwords and sign-ins: a password change ends the other sign-ins; browser and API sessions; guests."""

import logging
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from ..authentication import sign_ins_ended
from ..exceptions import SignInNotFoundError
from ..models import Guest, SessionKind, User, UserSession
from ._common import _check_password

logger = logging.getLogger(__name__)


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
    ended_ids = []
    for sign_in in others.order_by("pk"):
        if sign_in.session_key:
            _session_store_delete(sign_in.session_key)
        sign_in.is_active = False
        sign_in.ended_at = now
        sign_in.save(update_fields=["is_active", "ended_at", "updated_at"])
        ended_ids.append(sign_in.pk)
    if ended_ids:
        sign_ins_ended(user_id=user.pk)
    # Every refresh token of the user dies, also any minted without a UserSession row.
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in live], ignore_conflicts=True)
    return len(ended_ids)


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
            sign_ins_ended(user_id=user.pk)
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
