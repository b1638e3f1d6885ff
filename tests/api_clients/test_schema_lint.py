"""The schema lints clean and generates Kotlin and TypeScript clients without a warning (issue 11).

openapi-spec-validator checks it against the OpenAPI 3.0 specification. openapi-generator (its
PyPI package `openapi-generator-cli` bundles the jar) generates the `kotlin` and `typescript-fetch`
clients with the schema's own validation on (no `--skip-validate-spec`); a line it logs at WARN or
ERROR fails the test. It needs a Java runtime (11 or newer) on PATH; about 30 seconds for both.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


def test_the_schema_is_valid_openapi(schema):
    validate(schema)


def test_the_schema_speaks_plainly_to_generators(schema):
    text = json.dumps(schema)
    schemas = schema["components"]["schemas"]
    # One error model; no "one of several simple types", no `nullable` beside an `allOf`.
    assert "oneOf" not in text and "anyOf" not in text and "ValidationError" not in schemas
    assert not [
        name
        for name, component in schemas.items()
        for field in component.get("properties", {}).values()
        if field.get("nullable") and "allOf" in field
    ]
    assert schemas["ApiError"]["required"] == ["code", "message"]
    assert schemas["Order"]["properties"]["coupon"]["type"] == "object"
    assert schemas["OrderStatusEnum"]["enum"] == [
        "pending",
        "paid",
        "processing",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ]
    assert set(schemas["Me"]["required"]) == set(schemas["Me"]["properties"])
    assert set(schemas["Preferences"]["required"]) == set(schemas["Preferences"]["properties"])
    assert schemas["WalletChargeRequest"]["properties"]["amount"]["type"] == "string"
    assert schema["servers"] and schema["info"]["license"]["name"]
    charge = schema["paths"]["/api/v1/wallet/charge/"]["post"]
    assert list(charge["requestBody"]["content"]) == ["application/json"]
    assert "Idempotent-Replayed" in charge["responses"]["200"]["headers"]
    for path in schema["paths"].values():
        for operation in path.values():
            assert "414" not in operation["responses"]
            assert "Retry-After" in operation["responses"]["503"]["headers"]
            assert all("headers" in r for s, r in operation["responses"].items() if s == "429")


def test_money_patterns_refuse_what_is_not_an_amount(schema):
    import re

    patterns = {
        field["pattern"]
        for component in schema["components"]["schemas"].values()
        for field in component.get("properties", {}).values()
        if field.get("format") == "decimal"
    }
    assert patterns
    for pattern in patterns:
        assert re.fullmatch(pattern[1:-1], "12.50")
        for not_money in ("", "-", ".", "1.", ".5"):
            assert not re.fullmatch(pattern[1:-1], not_money), (pattern, not_money)


def test_ordering_values_have_names(schema):
    ordering = next(
        p["schema"] for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"] if p["name"] == "ordering"
    )
    names = dict(zip(ordering["enum"], ordering["x-enum-varnames"], strict=True))
    assert names["-price"] == "PRICE_DESC" and names["price"] == "PRICE"


@pytest.mark.client_generators
@pytest.mark.skipif(shutil.which("java") is None, reason="openapi-generator needs a Java runtime (11+) on PATH")
def test_kotlin_and_typescript_clients_generate_without_warnings(schema, tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))
    for generator in ("kotlin", "typescript-fetch"):
        result = subprocess.run(
            [
                str(BIN / "openapi-generator-cli"),
                "generate",
                "--input-spec",
                str(path),
                "--generator-name",
                generator,
                "--output",
                str(tmp_path / generator),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        complaints = [line for line in output.splitlines() if " WARN " in line or " ERROR " in line]
        assert complaints == [], (generator, complaints)
        assert any((tmp_path / generator).rglob("*.kt" if generator == "kotlin" else "*.ts"))
