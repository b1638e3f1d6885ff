"""Hot stock: 1,000 customers each order one unit of a variant with 200 in stock, while other
customers order baskets of 2-4 variants listed in random order (checkout must lock in one order).

Three users in four are hot buyers: during the warm-up they buy baskets, then each takes the
next of the 1,000 hot customers until all have tried once, then back to baskets. The others buy
baskets throughout. Every order has its own Idempotency-Key. The run ends when the measured
window is over and every hot customer has tried (or at the runner's hard time limit).
"""

import json
import random
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task

from common import FIXTURE, MEASURE, RECORDER, WARMUP, auth

HOT = FIXTURE["hot_variant_id"]
BASKET_VARIANTS = FIXTURE["basket_variant_ids"]
HOT_CUSTOMERS = iter(FIXTURE["hot_customers"])
BASKET_CUSTOMERS = FIXTURE["basket_customers"]
outcomes: list[tuple[int, int, str]] = []  # (customer id, status, key) of every hot attempt


@events.test_stop.add_listener
def _summary(**kwargs: Any) -> None:
    RECORDER.extra["hot_attempts"] = outcomes


@events.test_start.add_listener
def _watch(environment: Any, **kwargs: Any) -> None:
    def stop_when_done() -> None:
        gevent.sleep(WARMUP + MEASURE)
        while len(outcomes) < FIXTURE["hot_tries"]:
            gevent.sleep(0.5)
        environment.runner.quit()

    gevent.spawn(stop_when_done)


class Buyer(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def order(self, customer: dict[str, Any], items: list[dict[str, int]], name: str) -> int:
        key = uuid.uuid4().hex
        headers = {**auth(customer["token"]), "Idempotency-Key": key}
        body = json.dumps({"items": items})
        with self.client.post("/api/v1/orders/", data=body, headers=headers, name=name, catch_response=True) as r:
            if r.status_code in (201, 409):  # 409: insufficient_stock
                r.success()
            if name == "order hot variant":
                outcomes.append((customer["id"], r.status_code, key))
            return r.status_code

    def basket(self) -> None:
        variants = random.sample(BASKET_VARIANTS, random.randint(2, 4))  # random order on purpose
        self.order(random.choice(BASKET_CUSTOMERS), [{"variant_id": v, "quantity": 1} for v in variants], "basket")


class HotBuyer(Buyer):
    weight = 3

    @task
    def buy(self) -> None:
        if not RECORDER.in_window(time.time()):
            self.basket()
            return
        customer = next(HOT_CUSTOMERS, None)
        if customer is None:
            self.basket()
            return
        self.order(customer, [{"variant_id": HOT, "quantity": 1}], "order hot variant")


class BasketBuyer(Buyer):
    @task
    def buy(self) -> None:
        self.basket()
