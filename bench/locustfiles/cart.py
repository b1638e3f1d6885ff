"""The cart API: shoppers add to their cart and read it, half as guests, half signed in.

- Guests are session clients, as a browser is: a guest first GETs the sign-in page (a page with
  a form: its CSRF cookie and token, as the shop's pages hand them out), then POSTs cart/ (the first
  add makes the guest and its session: Set-Cookie) and reads cart/, sending the CSRF token with
  every write. After 6 adds the visitor leaves and a new one arrives (new cookies).
- Customers are apps with a JWT (no cookie, no CSRF). After 6 adds a customer empties the cart
  (DELETE cart/items/{id}/ for each line), so carts stay the size shoppers' carts are.
"""

import random
import re
from typing import Any

from locust import HttpUser, constant, events, task

from common import FIXTURE, RECORDER, auth

VARIANTS = FIXTURE["variant_ids"]
CUSTOMERS = FIXTURE["customers"]
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ADDS_PER_VISIT = 6
# Each simulated app is a different customer: two users emptying one cart at once would see each
# other's lines go (a 404, rightly), which is not what this scenario measures.
_next_customer = iter(range(10**9))
state: dict[str, Any] = {"guests": 0, "guest_adds_201": 0, "customer_adds_201": 0, "csrf_missing": 0}


@events.test_stop.add_listener
def _summary(**kwargs: Any) -> None:
    RECORDER.extra.update(state)


def _add_body() -> dict[str, int]:
    return {"variant_id": random.choice(VARIANTS), "quantity": random.randint(1, 3)}


class Guest(HttpUser):
    """A browser: cookies kept by the session (requests), the CSRF token read from a page."""

    wait_time = constant(0)
    weight = 1

    def on_start(self) -> None:
        self._arrive()

    def _arrive(self) -> None:
        self.client.cookies.clear()
        page = self.client.get("/accounts/signin/", name="page with a form (CSRF token)")
        found = CSRF_FIELD.search(page.content or b"")
        if not found:
            state["csrf_missing"] += 1
        self.token = found.group(1).decode() if found else ""
        self.adds = 0
        state["guests"] += 1

    @task
    def shop(self) -> None:
        if self.adds >= ADDS_PER_VISIT:
            self._arrive()
        headers = {"X-CSRFToken": self.token, "Accept": "application/json"}
        r = self.client.post("/api/v1/cart/", json=_add_body(), headers=headers, name="add (guest, session)")
        if r.status_code == 201:
            state["guest_adds_201"] += 1
        self.adds += 1
        self.client.get("/api/v1/cart/", headers={"Accept": "application/json"}, name="cart (guest, session)")


class Customer(HttpUser):
    """An app with a customer's access token."""

    wait_time = constant(0)
    weight = 1

    def on_start(self) -> None:
        self.customer = CUSTOMERS[next(_next_customer) % len(CUSTOMERS)]
        self.headers = auth(self.customer["token"])
        self.adds = 0

    @task
    def shop(self) -> None:
        if self.adds >= ADDS_PER_VISIT:
            cart = self.client.get("/api/v1/cart/", headers=self.headers, name="cart (JWT)")
            lines = cart.json().get("lines", []) if cart.status_code == 200 else []
            for line in lines:
                self.client.delete(f"/api/v1/cart/items/{line['id']}/", headers=self.headers, name="remove (JWT)")
            self.adds = 0
        r = self.client.post("/api/v1/cart/", json=_add_body(), headers=self.headers, name="add (JWT)")
        if r.status_code == 201:
            state["customer_adds_201"] += 1
        self.adds += 1
        self.client.get("/api/v1/cart/", headers=self.headers, name="cart (JWT)")
