"""Wallet storm: many clients top up and pay on ONE customer's wallet at the same time.

Half the requests top up 10.00 (POST wallet/charge/), half pay an order of one 9.00 item from the
wallet (POST orders/, each with its own Idempotency-Key); a payment the balance cannot cover is a
402 and changes nothing.
"""

import json
import uuid

from locust import FastHttpUser, constant, task

from common import FIXTURE, auth

HEADERS = auth(FIXTURE["token"])
ORDER = json.dumps({"items": [{"variant_id": FIXTURE["variant_id"], "quantity": 1}]})


class WalletClient(FastHttpUser):
    wait_time = constant(0)

    @task
    def charge(self) -> None:
        with self.client.post(
            "/api/v1/wallet/charge/", data='{"amount": "10.00"}', headers=HEADERS, name="charge", catch_response=True
        ) as response:
            if response.status_code in (200, 201):
                response.success()

    @task
    def pay(self) -> None:
        headers = {**HEADERS, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post("/api/v1/orders/", data=ORDER, headers=headers, name="pay", catch_response=True) as r:
            if r.status_code in (201, 402):
                r.success()
