"""Row 3: schemathesis over every operation of /api/schema/ (OWASP API Top 10 2023).

The examples, coverage, fuzzing and stateful phases with every check, against gunicorn on a
disposable test database, signed in as two customers at once (Web Fuzzing Commons auth with both
as `peers`), so `object_level_authorization` replays each one's reads as the other.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from payments.services import wallet_charge

from .world import build_world

pytestmark = [pytest.mark.scorecard(row=3), pytest.mark.django_db(transaction=True)]

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
PHASES = os.environ.get("SCORECARD_FUZZ_PHASES", "examples,coverage,fuzzing,stateful")
# CI (`make test`, `make scorecard`) runs one recorded seed, MAX_EXAMPLES per operation, on one
# worker and with no time budget: the same requests in the same order on every run, so the verdict
# is the code's alone and does not move with the machine's speed. Exploring is `make fuzz SEED=…
# SECONDS=…`: another seed, and fuzzing repeated on two workers until the seconds are spent. A case
# exploration finds becomes a plain regression test in the app's tests (README, "Development").
RECORDED_SEED = "20231"
SEED = os.environ.get("SCORECARD_FUZZ_SEED") or RECORDED_SEED
MAX_EXAMPLES = int(os.environ.get("SCORECARD_FUZZ_EXAMPLES", "25"))
EXPLORE_SECONDS = int(os.environ.get("SCORECARD_FUZZ_SECONDS") or 0)
WORKERS = 2 if EXPLORE_SECONDS else 1
# The recorded run's length is its examples' (2.5 to 5 minutes on 2 busy cores); exploring spends
# EXPLORE_SECONDS fuzzing. Then schemathesis finishes the requests in flight (up to
# --request-timeout each) and writes its reports: it is killed if it has not ended RUN_GRACE
# seconds after that.
MAX_TIME = EXPLORE_SECONDS or 600
REQUEST_TIMEOUT = 30
RUN_GRACE = 120
# The test also starts gunicorn and, alone, may create the test database and build the world:
# pytest-timeout (300 s for every test, pyproject.toml) would stop it mid-run without this margin.
SETUP_GRACE = 180


# Operations with a rule OpenAPI cannot express, so a request the schema allows may still be
# refused: positive_data_acceptance accepts that one status there, and only there.
RULES_OPENAPI_CANNOT_SAY = {
    "POST /api/v1/auth/register/": ("400", "the password policy; an email already registered"),
    "GET /api/v1/products/": ("400", "min_price above max_price; a category that does not exist"),
    "POST /api/v1/orders/": (
        "400, 422",
        "the same variant on two lines past the most of one item together; a coupon used, expired, "
        "another's or needing a bigger order; an Idempotency-Key sent again with another body",
    ),
    "POST /api/v1/wallet/charge/": (
        "402, 422",
        "a card the processor declines or the fraud check refuses; an Idempotency-Key sent again with another amount",
    ),
    "POST /api/v1/checkout/quote/": ("400", "a `shipping_address_id` that is not one of your addresses"),
    "POST /api/v1/payment-methods/": ("400", "a card token the gateway does not know, or one saved before"),
    "POST /api/v1/orders/{id}/returns/": ("400", "an `order_item_id` that is not a line of this order"),
    "POST /api/v1/orders/{id}/issues/": ("400", "an item id that is not a line of this order"),
    "POST /api/v1/sandbox/tokens/": ("400", "a card number failing the Luhn check; an expiry in the past"),
    "POST /api/v1/orders/{id}/pay/": (
        "400, 402, 422",
        "a `payment_method_id` that is not one of your saved cards, or one that cannot pay (removed, expired); "
        "a card the processor declines or the fraud check refuses; an Idempotency-Key sent again with another body",
    ),
    # The cart API (issue 15)
    "POST /api/v1/cart/": (
        "400",
        "a variant not for sale (or none); more of one item than a line may hold or the stock has",
    ),
    "POST /api/v1/cart/checkout/": (
        "400, 422",
        "an empty cart; a coupon used, expired, another's or needing a bigger order; a `shipping_address_id` that "
        "is not one of your addresses; an Idempotency-Key sent again with another body or cart",
    ),
    # Wishlists (issue 15, branch cwish).
    "POST /api/v1/wishlists/": ("400", "one list past WISHLISTS_MAX; a name of spaces only"),
    "PATCH /api/v1/wishlists/{id}/": ("400", "`is_default: false` on the default list; a name of spaces only"),
    "POST /api/v1/wishlists/{id}/items/": (
        "400",
        "a `variant_id` the shop does not sell (unknown, hidden, discontinued)",
    ),
    "POST /api/v1/wishlists/{id}/items/{item_id}/move-to-cart/": (
        "400",
        "an option no longer for sale, a full cart, or more of one item than a line may hold with what the cart has",
    ),
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# The wallet top-up still reads a JSON number `amount` (as a Decimal) for clients written before the
# schema said string (issue 11): a number is the one schema-violating input it may accept. (Each
# name here is one of RULES_OPENAPI_CANNOT_SAY: one [[operations]] table per operation.)
LENIENT = {"POST /api/v1/wallet/charge/": ["2xx"]}
# A request the schema forbids must be refused: schemathesis's list, and 414, gunicorn's answer to
# a request line too long for it (a fuzzed query of many long values), which is a refusal too.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5xx"]


def _auth_file(path: Path, tokens: dict[str, str]) -> Path:
    path.write_text(
        json.dumps(
            {
                "schemaVersion": "0.1.0",
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                    for name, token in tokens.items()
                ],
            }
        )
    )
    return path


@pytest.mark.timeout(MAX_TIME + RUN_GRACE + SETUP_GRACE)
def test_schemathesis_over_every_operation(shop_server, tmp_path, scorecard_row):
    world = build_world()
    for customer in (world.a, world.b):
        wallet_charge(user=customer.user, amount="10000.00")
    auth = _auth_file(tmp_path / "auth.json", {"alice": world.a.token, "bob": world.b.token})
    config = tmp_path / "schemathesis.toml"
    exceptions = "".join(
        f'\n[[operations]]\ninclude-name = "{name}"\n'
        f"checks.positive_data_acceptance.expected-statuses = {json.dumps([*ACCEPTED, *statuses.split(', ')])}\n"
        + (
            f"checks.negative_data_rejection.expected-statuses = {json.dumps([*REJECTED, *LENIENT[name]])}\n"
            if name in LENIENT
            else ""
        )
        for name, (statuses, _why) in RULES_OPENAPI_CANNOT_SAY.items()
    )
    config.write_text(
        f'[auth.wfc]\npath = "{auth}"\npeers = ["alice", "bob"]\n'
        f"[checks.negative_data_rejection]\nexpected-statuses = {json.dumps(REJECTED)}\n{exceptions}"
    )
    reports = tmp_path / "reports"
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{shop_server.url}/api/schema/",
        "--url",
        shop_server.url,
        "--phases",
        PHASES,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        *(["--max-time", str(EXPLORE_SECONDS)] if EXPLORE_SECONDS else []),
        "--workers",
        str(WORKERS),
        "--seed",
        SEED,
        "--request-timeout",
        str(REQUEST_TIMEOUT),
        "--generation-database",
        "none",
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(reports),
        "--output-truncate",
        "true",
    ]
    try:
        hooks = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.security.fuzz_hooks", "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=MAX_TIME + RUN_GRACE, cwd=tmp_path, env=hooks
        )
        output, returncode = result.stdout + result.stderr, result.returncode
    except subprocess.TimeoutExpired as exc:  # killed: report what it printed, as a failure of the row
        output = b"".join(part for part in (exc.stdout, exc.stderr) if isinstance(part, bytes)).decode(errors="replace")
        output += f"\nschemathesis did not end within {MAX_TIME + RUN_GRACE}s and was killed"
        returncode = None
    logs = Path(os.environ.get("SCORECARD_LOG_DIR") or tmp_path)
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "schemathesis.log").write_text(output)

    operations = _number(output, r"Tested:\s*(\d+)")
    cases = _number(output, r"(\d+) test cases? generated") or _number(output, r"Test cases:\s*(\d+)")
    failures = _junit_failures(reports)
    summary = _summary(output)
    passed = scorecard_row(
        "schemathesis, all phases, all checks, two customers as peers",
        (f"seed {SEED} (recorded), " if SEED == RECORDED_SEED and not EXPLORE_SECONDS else f"seed {SEED} (exploring), ")
        + f"{operations or '?'} operations, {cases or '?'} cases, {len(failures)} failures"
        + (f" ({summary})" if summary else "")
        + "; refusals allowed for schema-valid input only where OpenAPI cannot say the rule: "
        + "; ".join(f"{name} {status} ({why})" for name, (status, why) in RULES_OPENAPI_CANNOT_SAY.items())
        + (": " + "; ".join(failures[:5]) if failures else "")
        + (f"; killed: it had not ended after {MAX_TIME + RUN_GRACE}s" if returncode is None else ""),
        returncode == 0 and not failures and bool(operations),
    )
    assert passed, output[-6000:]


def _number(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else None


def _summary(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if re.search(r"\b(passed|failed|errored|skipped)\b", line)]
    return lines[-1][:200] if lines else ""


def _junit_failures(reports: Path) -> list[str]:
    failures = []
    for path in reports.glob("*.xml"):
        for case in ElementTree.parse(path).getroot().iter("testcase"):
            for problem in [*case.iter("failure"), *case.iter("error")]:
                message = (problem.get("message") or problem.text or "").strip().splitlines()
                failures.append(f"{case.get('name')}: {message[0][:160] if message else problem.tag}")
    return failures
