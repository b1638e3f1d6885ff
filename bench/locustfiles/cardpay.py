"""Card checkout: customers with a saved sandbox card order by card, then pay the pending order.

1. POST orders/ with `payment_method: card`: a pending order holding its stock (201).
2. POST orders/{id}/pay/ with the customer's card: the payment, `captured` for the plain card (the
   order is paid in that request), `action_required` for the 3-D Secure card (every fourth
   customer). 10% of pay requests are sent twice at once with the same Idempotency-Key (a
   double-clicked pay button): both answers must name the same payment.
3. For `action_required`: the customer's step at the bank, as a browser does it: GET the
   sandbox's confirmation page (`action_url`), POST its form with "approve" (302 back to the
   shop). The order is paid later, when the processor's webhook arrives: the bench's Celery worker
   delivers it to POST /api/v1/webhooks/sandbox/, which makes the payment authorized, and a
   task captures it. The runner waits for those after the run (the settle time).

Each customer checks out at most `uses` times (the fraud rules count a customer's card payments
per hour); when every customer has had their turns the users stop.
"""

import json
import random
import re
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

from common import FIXTURE, RECORDER, auth

VARIANTS = FIXTURE["variant_ids"]
# Every customer once, then every customer again, … `uses` rounds: never two turns at once.
TURNS = iter([c for _ in range(FIXTURE["uses"]) for c in FIXTURE["customers"]])
PROGRESS = {"pending": 1, "action_required": 2, "captured": 3}
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
state: dict[str, Any] = {
    "created": 0,
    "pay_answers": {},  # payment status -> count (201 and 200 answers)
    "captured_order_ids": [],  # the pay answer said captured: the order is paid now
    "confirmed": {},  # order id -> when the customer's approval was answered (unix time)
    "pairs": 0,
    "pair_mismatches": [],
    "turns_left": True,
}


@events.test_stop.add_listener
def _summary(**kwargs: Any) -> None:
    RECORDER.extra.update(state)


class CardShopper(FastHttpUser):
    wait_time = constant(0)
    concurrency = 2

    def _pay(self, order_id: int, headers: dict[str, str], body: str, name: str) -> tuple[int, dict[str, Any]]:
        with self.client.post(
            f"/api/v1/orders/{order_id}/pay/", data=body, headers=headers, name=name, catch_response=True
        ) as r:
            try:
                payment = r.json() if r.status_code in (200, 201) else {}
            except ValueError:
                payment = {}
            if payment:
                r.success()
                answers = state["pay_answers"]
                answers[payment.get("status")] = answers.get(payment.get("status"), 0) + 1
            return r.status_code, payment

    @task
    def checkout(self) -> None:
        customer = next(TURNS, None)
        if customer is None:
            state["turns_left"] = False
            raise StopUser()
        chosen = random.sample(VARIANTS, random.randint(1, 2))
        body = json.dumps({"items": [{"variant_id": v, "quantity": 1} for v in chosen], "payment_method": "card"})
        headers = {**auth(customer["token"]), "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/orders/", data=body, headers=headers, name="order (card)", catch_response=True
        ) as r:
            if r.status_code != 201:
                return
            r.success()
            state["created"] += 1
            order_id = r.json()["id"]

        pay_headers = {**auth(customer["token"]), "Idempotency-Key": uuid.uuid4().hex}
        pay_body = json.dumps({"payment_method_id": customer["method_id"]})
        if random.random() < 0.10:
            state["pairs"] += 1
            a = gevent.spawn(self._pay, order_id, pay_headers, pay_body, "pay (double click)")
            b = gevent.spawn(self._pay, order_id, pay_headers, pay_body, "pay (double click)")
            gevent.joinall([a, b])
            (sa, pa), (sb, pb) = a.value, b.value
            if (sa == 201 and sb == 201) or pa.get("id") is None or pa.get("id") != pb.get("id"):
                state["pair_mismatches"].append([sa, pa.get("id"), sb, pb.get("id")])
            # The first answer may still say pending (the other request was talking to the bank).
            payment = max((pa, pb), key=lambda answer: PROGRESS.get(answer.get("status", ""), 0))
        else:
            _status, payment = self._pay(order_id, pay_headers, pay_body, "pay")
        if payment.get("status") == "captured":
            state["captured_order_ids"].append(order_id)
        elif payment.get("status") == "action_required" and payment.get("action_url"):
            self._confirm(order_id, payment["action_url"])

    def _confirm(self, order_id: int, action_url: str) -> None:
        """The customer at the bank: the confirmation page, then "Approve" (the form's own CSRF token)."""
        with self.client.get(action_url, name="3-D Secure page", catch_response=True) as page:
            found = CSRF_FIELD.search(page.content or b"")
            if page.status_code != 200 or not found:
                page.failure(f"no confirmation form ({page.status_code})")
                return
        form = f"csrfmiddlewaretoken={found.group(1).decode()}&decision=approve"
        with self.client.post(
            action_url,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": self.host + action_url},
            name="3-D Secure approve",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 302:
                r.success()
                state["confirmed"][str(order_id)] = time.time()
