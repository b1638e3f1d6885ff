"""Coupon drop: every customer claims one coupon of a limited issue at the same moment.

Each user is one customer. All users are spawned and wait; one second later all claim at once,
10% of them twice at the same time (a double click), and all keep claiming (no pause) until
30 s after the last coupon went. Measured: the time from the drop to the last 201, and the
claims the server finished after sell-out (requests/s, latency).
"""

import random
import time
from typing import Any

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task

from common import FIXTURE, RECORDER, auth

COUPON = FIXTURE["coupon_id"]
LIMIT = FIXTURE["coupon_quantity"]
AFTER = FIXTURE.get("after_sellout_seconds", 30)
CUSTOMERS = iter(FIXTURE["customers"])
GO = Event()
state: dict[str, Any] = {"drop_at": None, "sold_out_at": None, "issued": 0, "issued_to": [], "doubles": 0}


def _go() -> None:
    state["drop_at"] = time.time()
    GO.set()


@events.spawning_complete.add_listener
def _spawned(user_count: int, **kwargs: Any) -> None:
    gevent.spawn_later(1.0, _go)


@events.test_stop.add_listener
def _summary(**kwargs: Any) -> None:
    RECORDER.extra.update(
        {
            "drop_at": state["drop_at"],
            "sold_out_at": state["sold_out_at"],
            "sell_out_seconds": (state["sold_out_at"] - state["drop_at"]) if state["sold_out_at"] else None,
            "issued_201": state["issued"],
            "issued_to": state["issued_to"],
            "double_clicks": state["doubles"],
        }
    )


class Claimer(FastHttpUser):
    wait_time = constant(0)
    concurrency = 2  # a double click is two connections

    def on_start(self) -> None:
        customer = next(CUSTOMERS)
        self.customer_id = customer["id"]
        self.headers = auth(customer["token"])
        self.double = random.random() < 0.10
        self.first = True

    def _claim(self) -> None:
        name = "claim (drop)" if state["sold_out_at"] is None else "claim (after sell-out)"
        with self.client.post(
            f"/api/v1/coupons/{COUPON}/claim/", headers=self.headers, name=name, catch_response=True
        ) as response:
            if response.status_code == 201:
                state["issued"] += 1
                state["issued_to"].append(self.customer_id)
                if state["issued"] >= LIMIT and state["sold_out_at"] is None:
                    state["sold_out_at"] = time.time()
                    RECORDER.start_window()
                    gevent.spawn_later(AFTER, self.environment.runner.quit)
                response.success()
            elif response.status_code == 409:
                response.success()

    @task
    def claim(self) -> None:
        GO.wait()
        if self.first and self.double:
            state["doubles"] += 1
            gevent.joinall([gevent.spawn(self._claim), gevent.spawn(self._claim)])
        else:
            self._claim()
        self.first = False
