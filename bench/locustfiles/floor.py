"""The DRF floor through locust: GET /_bench/pk/<id>, rotating over products, no authentication.

Locust scenarios are compared with this, measured by the same client at the same concurrency.
"""

import itertools

from locust import FastHttpUser, constant, task

from common import FIXTURE

PATHS = itertools.cycle(f"/_bench/pk/{pk}" for pk in FIXTURE["product_ids"])


class PkReader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read(self) -> None:
        self.client.get(next(PATHS), name="pk")
