"""Payment gateways: one interface (`base.Gateway`), one class per processor, chosen by code from
settings.PAYMENT_GATEWAYS. `gateway_for("sandbox")` is the only way the shop gets one."""

from .base import (
    Gateway,
    GatewayError,
    GatewayResult,
    GatewayTimeoutError,
    ResultStatus,
    WebhookMessage,
    WebhookSignatureError,
    gateway_for,
    gateway_record,
)

__all__ = [
    "Gateway",
    "GatewayError",
    "GatewayResult",
    "GatewayTimeoutError",
    "ResultStatus",
    "WebhookMessage",
    "WebhookSignatureError",
    "gateway_for",
    "gateway_record",
]
