"""The `Idempotency-Key` request header: one rule for every endpoint that takes it, and its schema.

What a service does with the key (clean it, fingerprint the request, replay) is `common.idempotency`.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from common.idempotency import IDEMPOTENCY_KEY_CHARS, IDEMPOTENCY_KEY_MAX_LENGTH

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_RULE = "Up to 255 letters, digits and `-_.:` (a UUID is ideal)."


def idempotency_key_from(request: Request) -> str | None:
    """The request's key with surrounding spaces removed, or None without the header.

    Raises: ValidationError (a 400 naming the header) for an empty, too long or oddly spelt key.
    """
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not set(key) <= IDEMPOTENCY_KEY_CHARS:
        raise serializers.ValidationError(
            {IDEMPOTENCY_HEADER: [_("Use 1 to 255 letters, digits, dashes, underscores, dots or colons.")]}
        )
    return key


def idempotency_parameter(description: str) -> OpenApiParameter:
    """The optional header for `extend_schema(parameters=...)`; `description` says what a replay does."""
    return OpenApiParameter(
        IDEMPOTENCY_HEADER,
        # The same rule as `idempotency_key_from`, so a client can check a key before sending it.
        {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]{1,255}$"},
        OpenApiParameter.HEADER,
        required=False,
        description=f"{IDEMPOTENCY_KEY_RULE} {description}",
    )
