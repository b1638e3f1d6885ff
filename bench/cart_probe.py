"""The cart API's constant-statement probe (`make bench SCENARIO=cart`): the SQL statements of
`GET /api/v1/cart/` and `POST /api/v1/cart/` with 1, 3 and 6 lines in the cart must be equal.

No side effects on import (the runner sets bench settings; the tests import this with theirs):
the caller passes `send(method, path, body) -> (status, statements)`, which counts the statements
of one request (the runner: the server's `X-Bench-Queries` header; a test: CaptureQueriesContext).
"""

from collections.abc import Callable
from typing import Any

CART = "/api/v1/cart/"
SIZES = (1, 3, 6)
Send = Callable[[str, str, dict[str, Any] | None], tuple[int, int]]


def cart_statements(send: Send, variant_ids: list[int]) -> dict[str, Any]:
    """Fill one customer's cart (whose active cart is empty or absent) to 1, 3 and 6 lines; at each
    size count a GET of the cart and a POST adding one more unit of the first line (the cart and
    the line exist: the size stays). Negative counts are a failed request's status, negated."""
    if len(variant_ids) < max(SIZES):
        raise ValueError(f"need {max(SIZES)} variants")
    counts: dict[str, list[int]] = {"get": [], "post": []}
    lines = 0
    for size in SIZES:
        while lines < size:
            status, _ = send("POST", CART, {"variant_id": variant_ids[lines], "quantity": 1})
            if status != 201:
                return {"constant": False, "counts": counts, "error": f"filling the cart: {status}"}
            lines += 1
        status, statements = send("GET", CART, None)
        counts["get"].append(statements if status == 200 else -status)
        status, statements = send("POST", CART, {"variant_id": variant_ids[0], "quantity": 1})
        counts["post"].append(statements if status == 201 else -status)
    constant = all(len(set(values)) == 1 and values[0] > 0 for values in counts.values())
    return {"constant": constant, "counts": counts}
