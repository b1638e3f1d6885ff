"""Gateway keys at rest: Fernet (AES with an HMAC) under settings.PAYMENT_SECRETS_KEY.

The plain key exists only in memory, while a gateway is called; the database holds the token,
and no page, log or API answer shows either (admin shows "set" / "not set").
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadableError(Exception):
    """The stored secret was encrypted with another key (PAYMENT_SECRETS_KEY changed)."""


def _fernet() -> Fernet:
    key = settings.PAYMENT_SECRETS_KEY
    if not key:
        # Development only (production requires the variable): a key derived from SECRET_KEY.
        digest = hashlib.sha256(("payment-secrets:" + settings.SECRET_KEY).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def secret_encrypt(plain: str) -> str:
    """The Fernet token of `plain` ("" stays "": no secret set)."""
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def secret_decrypt(token: str) -> str:
    """The plain secret of a token from `secret_encrypt` ("" for none). Raises SecretUnreadableError."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadableError("a payment secret cannot be read with PAYMENT_SECRETS_KEY") from None
