"""Order and pay with double clicks: 500 customers order baskets and pay from their wallets.

10% of orders are sent twice at the same moment with the same Idempotency-Key (both answers
must name the same order); about 30% carry the customer's coupon (the first use wins, a later
one is a 400 coupon_not_usable); 5% cost more than any balance (402, nothing changes).
"""

import json
import random
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task

from common import FIXTURE, RECORDER, auth

VARIANTS = FIXTURE["variant_ids"]
EXPENSIVE = FIXTURE["expensive_variant_id"]
ISSUED_COUPONS = FIXTURE["issued_coupon_ids"]  # customer id -> their issued coupon's id
CUSTOMERS = FIXTURE["customers"]
state: dict[str, Any] = {"pairs": 0, "pair_mismatches": [], "created": 0, "replayed": 0}


@events.test_stop.add_listener
def _summary(**kwargs: Any) -> None:
    RECORDER.extra.update(state)


class Shopper(FastHttpUser):
    wait_time = constant(0)
    concurrency = 2

    def _post(self, headers: dict[str, str], body: str, name: str) -> tuple[int, Any]:
        with self.client.post("/api/v1/orders/", data=body, headers=headers, name=name, catch_response=True) as r:
            ok = r.status_code in (200, 201, 402) or (r.status_code == 400 and b"coupon_not_usable" in r.content)
            if ok:
                r.success()
            if r.status_code == 201:
                state["created"] += 1
            elif r.status_code == 200:
                state["replayed"] += 1
            try:
                payload = r.json()
            except ValueError:
                payload = None
            return r.status_code, payload.get("id") if isinstance(payload, dict) else None

    @task
    def order(self) -> None:
        customer = random.choice(CUSTOMERS)
        chosen = random.sample(VARIANTS, random.randint(1, 3))
        items = [{"variant_id": v, "quantity": random.randint(1, 3)} for v in chosen]
        roll = random.random()
        if roll < 0.05:
            items.append({"variant_id": EXPENSIVE, "quantity": 2})
        body: dict[str, Any] = {"items": items}
        if random.random() < 0.30:
            body["coupon_id"] = ISSUED_COUPONS[str(customer["id"])]
        headers = {**auth(customer["token"]), "Idempotency-Key": uuid.uuid4().hex}
        raw = json.dumps(body)
        if random.random() < 0.10:
            state["pairs"] += 1
            a, b = (
                gevent.spawn(self._post, headers, raw, "order (double click)"),
                gevent.spawn(self._post, headers, raw, "order (double click)"),
            )
            gevent.joinall([a, b])
            (sa, ia), (sb, ib) = a.value, b.value
            created_both = sa == 201 and sb == 201
            if created_both or ia != ib or (sa >= 300) != (sb >= 300):
                state["pair_mismatches"].append([sa, ia, sb, ib])
        else:
            self._post(headers, raw, "order")
