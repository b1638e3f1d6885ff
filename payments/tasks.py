"""Payment tasks: thin, idempotent wrappers around the services."""

import urllib.request

from celery import shared_task
from django.conf import settings


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=8, acks_late=True)
def sandbox_webhook_deliver_task(body: str) -> str:
    """The sandbox processor sends one signed event to the shop.

    With SANDBOX_WEBHOOK_URL set (a shop served elsewhere) it is an HTTP POST, like a real
    processor's; otherwise it goes straight to the webhook service, through the same signature
    check. Delivered twice (a retry), it is applied once: events are deduplicated by id.
    """
    from .gateways import gateway_for
    from .services.webhooks import webhook_receive

    gateway = gateway_for("sandbox")
    raw = body.encode()
    headers = {"Content-Type": "application/json", **gateway.signed_headers(raw)}  # type: ignore[attr-defined]
    if settings.SANDBOX_WEBHOOK_URL:
        request = urllib.request.Request(settings.SANDBOX_WEBHOOK_URL, data=raw, headers=headers, method="POST")  # noqa: S310 # nosec B310 - our own setting
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 # nosec B310 - our own setting
            return str(response.status)
    return webhook_receive(gateway_code="sandbox", body=raw, headers=headers, ip_address=None).outcome


# --- card payments (payments.services.card) -------------------------------------------------------


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=8, acks_late=True)
def payment_capture_task(payment_id: int) -> str:
    """Capture a payment a webhook (or the customer's confirmation step) made authorized. A no-op
    once captured; a repeat uses the same key, so the processor captures once."""
    from .services.card import payment_capture

    return payment_capture(payment_id=payment_id).status


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=8, acks_late=True)
def payment_hold_release_task(payment_id: int) -> None:
    """Release an authorization the processor gave a payment the shop had already given up on."""
    from .services.card import payment_hold_release

    payment_hold_release(payment_id=payment_id)


@shared_task
def payments_retry_due_task() -> int:
    """Beat, every minute: ask the processor again about payments whose calls timed out."""
    from .services.card import payments_retry_due

    return payments_retry_due()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=8, acks_late=True)
def fraud_cleared_payment_run_task(payment_id: int) -> str:
    """Staff cleared a payment the fraud rules held: send it for authorization now. A no-op once it
    left pending; a repeat uses the same key, so the processor authorizes once."""
    from .services.card import card_payment_run

    # The customer is not on the page any more: a card that asks for confirmation is confirmed
    # from the payment's action_url, and the processor sends them back to the shop's front page.
    return card_payment_run(payment_id=payment_id, return_url="").status
