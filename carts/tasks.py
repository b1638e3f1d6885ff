"""The carts' periodic work (beat schedule in settings): thin wrappers, idempotent, retry-safe."""

from celery import shared_task


@shared_task(name="carts.tasks.carts_abandoned_detect_task")
def carts_abandoned_detect_task() -> dict[str, int]:
    """Every 15 minutes: record carts idle past the threshold, queue the recovery e-mails owed."""
    from .abandonment import carts_abandoned_detect

    return carts_abandoned_detect()


@shared_task(name="carts.tasks.saved_carts_expire_task")
def saved_carts_expire_task() -> int:
    """Daily: remove saved carts past their expiry; how many went."""
    from .saved import saved_carts_expire

    return saved_carts_expire()
