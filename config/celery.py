"""The Celery app: configured from Django settings (the CELERY_ prefix), tasks found per app."""

import os
from typing import Any

from celery import Celery
from celery.result import AsyncResult

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


class ShopCelery(Celery):
    """Celery whose task publish goes by the broker's circuit breaker (common/redis_breaker.py).

    Every `.delay()` / `.apply_async()` (and beat's sends) comes through `send_task`. While the
    breaker is open the publish fails at once, as it does with the broker down, and the order
    notification's outbox row stays pending for `order_notifications_resend_task`.
    """

    def send_task(self, *args: Any, **kwargs: Any) -> AsyncResult:
        from common.redis_breaker import guarded_publish

        return guarded_publish(self.conf.broker_url or "", lambda: super(ShopCelery, self).send_task(*args, **kwargs))


app = ShopCelery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
