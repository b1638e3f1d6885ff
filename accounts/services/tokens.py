"""API tokens: sign-in with an access/refresh pair, rotation, sign-out."""

from dataclasses import dataclass

from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from ..authentication import SIGN_IN_CLAIM, sign_ins_ended, user_can_sign_in
from ..exceptions import TokenInvalidError
from ..models import User, UserSession
from .sessions import user_session_start_api


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    sign_in: UserSession | None


def _refresh_token(raw: str) -> RefreshToken:
    try:
        # Checks the signature, the expiry and the blacklist.
        return RefreshToken(raw)  # type: ignore[arg-type]  # simplejwt annotates it Token | None; it takes the encoded str
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
        # The pair names its sign-in: ending the sign-in ends its access tokens too.
        refresh[SIGN_IN_CLAIM] = sign_in.pk
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
        user = User.objects.filter(pk=token.get("user_id")).first()
        if not user_can_sign_in(user):
            raise TokenInvalidError(_("No active account found for the given token."))
        token.blacklist()
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
        if sign_in is not None:
            token[SIGN_IN_CLAIM] = sign_in.pk  # also for a pair minted before tokens named it
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
            sign_ins_ended(user_id=sign_in.user_id)
