"""Who may sign in, and how a request proves it: the one rule, the sign-in backend, the JWT check.

- `user_can_sign_in`: active and not soft-deleted. The sign-in page, the token API, token refresh,
  a browser session and every access token go through it, so a soft-deleted account is signed
  out everywhere at its next request and cannot sign in again.
- An access token names the sign-in (`UserSession`) it belongs to in its `sid` claim; ending that
  sign-in (sign-out, "sign out this session", a password change) ends the token at once rather
  than when it expires. The answer is kept per customer beside the kept user: a hit costs no
  SQL, a miss one indexed query; ending a sign-in bumps the customer after commit.
- The user itself, for a session or a token, is kept per customer
  (`accounts.selectors.user_for_request`); the rule above is checked on every request.
"""

import copy
import time
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from common.memo import BoundedMemo
from common.public_cache import customer_bump, customer_value

from .models import User, UserSession
from .selectors import user_for_request

SIGN_IN_CLAIM = "sid"


def user_can_sign_in(user: Any) -> bool:
    """The one rule: an account may sign in (and stay signed in) while active and not deleted."""
    return bool(user is not None and getattr(user, "is_active", False) and getattr(user, "deleted_at", None) is None)


class SignInBackend(ModelBackend):
    """Django's model backend under the shop's rule, for signing in and for every session request."""

    def user_can_authenticate(self, user: Any) -> bool:
        return user_can_sign_in(user)

    def get_user(self, user_id: Any) -> User | None:
        """The session's user for every browser request, with the seller profile the header's
        account menu reads, kept per customer (no query on a signed-in page once kept)."""
        user = user_for_request(user_id)
        return user if self.user_can_authenticate(user) else None


# --- is this sign-in still active? -------------------------------------------------------------


def sign_in_is_active(*, session_id: int, user_id: int) -> bool:
    """Whether the sign-in `session_id` of `user_id` is still active. Kept under the customer's
    generation, like the kept user the same request reads (`customer_value`): its generation comes
    in the same Redis round trip, so a hit costs neither SQL nor a round trip of its own. Ending a
    sign-in bumps the customer (`sign_ins_ended`), so the next request reads the row again."""

    def compute() -> bool:
        return UserSession.objects.filter(pk=session_id, user_id=user_id, is_active=True).exists()

    return bool(customer_value(user_id, f"accounts:sign-in-active:{session_id}", compute))


def sign_ins_ended(*, user_id: int) -> None:
    """Sign-ins of this user ended in the current transaction: their tokens are refused from the
    next request on (the customer's generation is bumped once it commits)."""
    customer_bump(user_id)


# Access tokens this worker has validated, by their text: (the token, its expiry as a Unix time).
# The signing key is the process' (simplejwt reads it at import).
_VALIDATED_TOKENS: BoundedMemo[bytes, tuple[Token, float]] = BoundedMemo(limit=20_000)


class SignInJWTAuthentication(JWTAuthentication):
    """simplejwt's access-token check, plus: the account may still sign in, and the token's
    sign-in has not ended. A token that names no sign-in (minted by tooling, not by a sign-in
    door) is checked for its user only."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        # A token's signature and claims do not change: checked once per worker (decoding and
        # verifying were a sixth of a fresh product API answer), then only its expiry. What may
        # change, the sign-in and the user, is checked on every request (get_user).
        kept = _VALIDATED_TOKENS.get(raw_token)
        if kept is not None and time.time() < kept[1]:
            token = copy.copy(kept[0])
            token.payload = dict(token.payload)  # the request's own: nothing it does reaches the kept one
            return token
        token = super().get_validated_token(raw_token)
        expires = token.payload.get("exp")
        if isinstance(expires, int | float):
            kept_token = copy.copy(token)
            kept_token.payload = dict(token.payload)
            _VALIDATED_TOKENS.keep(raw_token, (kept_token, float(expires)))
        return token

    def get_user(self, validated_token: Token) -> Any:
        # The sign-in first: an ended one is `token_not_valid` whatever else changed since
        # (a password change ends the sign-ins too), and costs no user query.
        session_id = validated_token.get(SIGN_IN_CLAIM)
        if session_id is not None:
            user_id = str(validated_token.get(api_settings.USER_ID_CLAIM, ""))
            if (
                not isinstance(session_id, int)
                or not user_id.isdigit()
                or not sign_in_is_active(session_id=session_id, user_id=int(user_id))
            ):
                raise InvalidToken(_("This sign-in has ended; sign in again."))
        # simplejwt's own `get_user`, with the user kept per customer instead of one query a
        # request; the same refusals in the same order, and the shop's rule last.
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as e:
            raise InvalidToken(_("Token contained no recognizable user identification")) from e
        user = user_for_request(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        if not user_can_sign_in(user):
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user
