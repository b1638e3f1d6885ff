"""Row 5: every route whose view answers POST, PUT, PATCH or DELETE (row 4's `methods_of`) has a
tampering door in one of the row's files (money and stock, cart, account, sign-in and passwords),
or a reasoned entry in COVERED_ELSEWHERE, so a new write route cannot ship untampered.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.urls import reverse
from django.views.generic.edit import ProcessFormView

from .routes import all_routes, write_methods_of
from .test_account_tampering import DOORS as ACCOUNT_DOORS
from .test_card_payment_tampering import DOORS as CARD_PAYMENT_DOORS
from .test_cart_tampering import DOORS as CART_DOORS
from .test_fulfilment_tampering import DOORS as FULFILMENT_DOORS
from .test_money_and_stock_tampering import DOORS as MONEY_DOORS
from .test_order_issue_tampering import DOORS as ISSUE_DOORS
from .test_payment_method_tampering import DOORS as PAYMENT_METHOD_DOORS
from .test_refund_tampering import DOORS as REFUND_DOORS
from .test_return_tampering import DOORS as RETURN_DOORS
from .test_saved_cart_tampering import DOORS as SAVED_CART_DOORS
from .test_sign_in_and_password_tampering import DOORS as SIGN_IN_DOORS

pytestmark = [pytest.mark.scorecard(row=5), pytest.mark.django_db]

DOORS = [
    *MONEY_DOORS,
    *CART_DOORS,
    *ACCOUNT_DOORS,
    *SIGN_IN_DOORS,
    *FULFILMENT_DOORS,
    *ISSUE_DOORS,
    *RETURN_DOORS,
    *CARD_PAYMENT_DOORS,
    *REFUND_DOORS,
    *PAYMENT_METHOD_DOORS,
    *SAVED_CART_DOORS,
]


# Write routes without a door here, each with where it is covered instead.
COVERED_ELSEWHERE: dict[str, str] = {
    "accounts:login": (
        "row 13: the sign-in form writes only the session and the lockout counters (key cycled on sign-in, 50 "
        "wrong passwords lock out, a spoofed X-Forwarded-For does not reset it, the same answer for unknown emails)"
    ),
    # Payments (issue 14).
    "payments_api:webhook": (
        "tests/payments/test_card_webhooks.py: forged signatures, old or future timestamps, bodies changed after "
        "signing or not events change nothing and are logged; a replay applies once; out-of-order events converge"
    ),
    "payments_api:sandbox_tokens": (
        "tests/payments/test_card_api.py: writes no row (the processor's tokenisation); bad numbers, CVCs and "
        "expiries are 400 field errors that never echo the card"
    ),
    "sandbox:card": (
        "tests/payments/test_card_sandbox_pages.py: writes no row; refused cards re-render without the number "
        "or CVC; a way back to another site is refused"
    ),
    "sandbox:confirm": (
        "tests/payments/test_card_sandbox_pages.py: only approve/refuse of a payment waiting for confirmation, "
        "anything else a 400; the way back is this site's only; the webhook it sends is checked like any other"
    ),
    # Wishlists (issue 15, branch cwish): owner checks and bad input proved in tests/carts/.
    "wishlists:list": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: a blank or long name, an "
        "unknown visibility, one list past WISHLISTS_MAX re-render with the field's error and make nothing"
    ),
    "wishlists:add": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: a visitor is sent to sign "
        "in; another's list is a 404; an unknown, hidden or discontinued variant, bad notes or priority add "
        "nothing"
    ),
    "wishlists:from_cart": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: another's cart line or list "
        "is a 404 and nothing moves; the move is one transaction with its transfer"
    ),
    "wishlists:detail": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: another's list is a 404 and "
        "unchanged; bad fields re-render with the field's error; the default cannot be unset"
    ),
    "wishlists:delete": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: another's list is a 404 and "
        "not deleted"
    ),
    "wishlists:share_link": (
        "tests/carts/test_wishlists_pages.py: another's list is a 404; the old link stops working"
    ),
    "wishlists:item_update": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: another's item is a 404; a "
        "priority outside 1-5 or long notes change nothing"
    ),
    "wishlists:item_remove": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py: another's item is a 404 and stays"
    ),
    "wishlists:item_move_to_cart": (
        "tests/carts/test_wishlists_pages.py, tests/carts/test_wishlists_services.py, "
        "tests/carts/test_wishlists_concurrency.py: another's item is a 404; a bad quantity or a variant not for "
        "sale moves nothing; a double click moves once"
    ),
    "wishlists_api:wishlists": (
        "tests/carts/test_wishlists_api.py: bad fields are 400s naming the field; one list past WISHLISTS_MAX a "
        "400; nothing made"
    ),
    "wishlists_api:wishlist": (
        "tests/carts/test_wishlists_api.py: another's list is a 404 before any 400; is_default false on the "
        "default a 400"
    ),
    "wishlists_api:items": (
        "tests/carts/test_wishlists_api.py: another's list is a 404; unknown, hidden variants, bad notes or "
        "priority are 400s on the field"
    ),
    "wishlists_api:item": (
        "tests/carts/test_wishlists_api.py: another's item, or one of another list, is a 404; bad notes or "
        "priority a 400"
    ),
    "wishlists_api:item_move_to_cart": (
        "tests/carts/test_wishlists_api.py: another's item is a 404; a bad quantity a 400 on `quantity`; a variant"
        " not for sale a 400 and the item stays"
    ),
}


# Function views that row 4 assumes answer POST, but refuse it (checked here: a POST is a 405).
GET_ONLY: dict[str, str] = {
    "healthz": "@require_GET liveness probe",
    "readyz": "@require_GET readiness probe",
    "favicon": "@require_safe redirect to the shop's icon",
}


ADMIN_REASON = (
    "Django admin's own ModelForms and actions, staff only (row 4 probes each admin route as a visitor, "
    "customers and sellers); not parameter-tampered here"
)


def _put_is_post(route: Any) -> bool:
    """A form view's PUT is Django's ProcessFormView.put, which runs post() on request.POST, which
    Django fills only for POST: a PUT is the POST door's empty form."""
    view_class = getattr(route.callback, "view_class", None)
    return view_class is not None and getattr(view_class, "put", None) is ProcessFormView.put


def test_every_write_route_has_a_door(client, scorecard_row):
    doors = {(door.route, door.method) for door in DOORS}
    writes: set[tuple[str, str]] = set()
    missing, unnamed = [], []
    counts: Counter[str] = Counter()
    for route in all_routes():
        methods = write_methods_of(route)
        if route.is_admin:
            counts["admin"] += bool(methods)
            continue
        if not methods:
            continue
        if route.name is None:
            unnamed.append(route.route)
            continue
        for method in methods:
            writes.add((route.name, method))
            if (route.name, method) in doors:
                counts["door"] += 1
            elif (
                method == "put"
                and _put_is_post(route)
                and (route.name, "post") in doors | {(name, "post") for name in COVERED_ELSEWHERE}
            ):
                counts["PUT as POST"] += 1
            elif route.name in COVERED_ELSEWHERE:
                counts["elsewhere"] += 1
            elif route.name in GET_ONLY:
                status = client.generic(method.upper(), reverse(route.name)).status_code
                counts["GET only"] += 1
                if status != 405:
                    missing.append(f"{method.upper()} {route.name} (listed as GET only, answered {status})")
            else:
                missing.append(f"{method.upper()} {route.name}")
    stale = sorted({f"{m.upper()} {n}" for n, m in doors - writes}) + sorted(
        (set(COVERED_ELSEWHERE) | set(GET_ONLY)) - {name for name, _ in writes}
    )
    passed = scorecard_row(
        "every write route from the URL resolver has a tampering door",
        f"{len(writes)} non-admin write route+methods: {counts['door']} with a door, {counts['PUT as POST']} form "
        f"PUTs (= the POST door), {counts['elsewhere']} covered elsewhere, {counts['GET only']} GET only; "
        f"{counts['admin']} admin routes ({ADMIN_REASON}); {len(missing)} without a door"
        + (f": {missing}" if missing else "")
        + (f"; unnamed: {unnamed}" if unnamed else "")
        + (f"; stale: {stale}" if stale else ""),
        not missing and not unnamed and not stale,
    )
    assert passed, (missing, unnamed, stale)
