"""Malformed bodies on every endpoint (issue 10 #3): no 500, and every refusal in the error shape.

Row 3 (API fuzzing): every operation of every API route, anonymous and signed in with a JWT, gets
a body over DATA_UPLOAD_MAX_MEMORY_SIZE, JSON nested 1,000 levels deep and lone UTF-16 surrogates
in a value and in a field name. Row 5 (tampering): every page that takes a POST gets a form body
over the limit and a broken multipart body. Each request runs in a transaction rolled back after
it, so one request's effect (a sign-out, a cancelled order) does not hide the next one's.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from .routes import all_routes, methods_of, url_for, write_methods_of
from .world import World, build_world

pytestmark = pytest.mark.django_db

TOO_BIG = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
JSON_BODIES: dict[str, bytes] = {
    "huge": b'{"x": "' + b"a" * TOO_BIG + b'"}',
    "deep arrays": b"[" * 1000 + b"]" * 1000,
    "deep objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "lone surrogate value": b'{"theme": "\\ud800", "amount": "\\ud800", "items": [{"variant_id": "\\udfff"}]}',
    "lone surrogate field": b'{"\\ud800": 1}',
}
FORM_BODIES: dict[str, tuple[bytes, str]] = {
    "huge form": (b"x=" + b"a" * TOO_BIG, "application/x-www-form-urlencoded"),
    "broken multipart": (b"--x\r\ngarbage", "multipart/form-data; boundary="),
}


@pytest.fixture
def world() -> World:
    return build_world()


def _send(client: Client, method: str, path: str, body: bytes, content_type: str, **extra: str):
    with transaction.atomic():
        response = client.generic(method.upper(), path, body, content_type=content_type, **extra)
        transaction.set_rollback(True)
    return response


def _error_shape_problem(response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return "not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not isinstance(body.get("message"), str):
        return f"not the error shape: {str(body)[:120]}"
    return None


@pytest.mark.scorecard(row=3)
def test_every_api_operation_refuses_malformed_bodies_without_a_500(world, scorecard_row):
    identities = {"anonymous": {}, "customer": {"HTTP_AUTHORIZATION": f"Bearer {world.a.token}"}}
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    operations = 0
    for route in all_routes():
        if not route.is_api or not route.name:
            continue
        path = url_for(route, world)
        if path is None:
            problems.append(f"{route.route}: no ids to fill it with (routes.py)")
            continue
        for method in methods_of(route):
            operations += 1
            for identity, headers in identities.items():
                for kind, body in JSON_BODIES.items():
                    client = Client(raise_request_exception=False)
                    response = _send(client, method, path, body, "application/json", **headers)
                    statuses[response.status_code] += 1
                    where = f"{method.upper()} {path} ({identity}, {kind})"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                    elif response.status_code >= 400 and (shape := _error_shape_problem(response)):
                        problems.append(f"{where}: {response.status_code} {shape}")
    figure = ", ".join(f"{n}x{status}" for status, n in sorted(statuses.items()))
    passed = scorecard_row(
        "huge, 1,000-deep and lone-surrogate JSON bodies on every API operation, anonymous and signed in",
        f"{operations} operations, {sum(statuses.values())} requests: {figure}"
        + (f"; {len(problems)} problems: " + "; ".join(problems[:5]) if problems else ""),
        not problems and operations > 0,
    )
    assert passed, problems


@pytest.mark.scorecard(row=5)
def test_every_page_form_refuses_huge_and_broken_bodies_without_a_500(world, scorecard_row):
    client = Client(raise_request_exception=False)
    client.force_login(world.a.user)
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    routes = 0
    for route in all_routes():
        if route.is_api or route.is_admin or not route.name or "post" not in write_methods_of(route):
            continue
        path = url_for(route, world)
        if path is None:
            continue
        routes += 1
        for kind, (body, content_type) in FORM_BODIES.items():
            response = _send(client, "post", path, body, content_type)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                problems.append(f"POST {path} ({kind}): {response.status_code}")
    figure = ", ".join(f"{n}x{status}" for status, n in sorted(statuses.items()))
    passed = scorecard_row(
        "a form body over the limit and a broken multipart body on every page that takes a POST",
        f"{routes} pages, {sum(statuses.values())} requests: {figure}"
        + (f"; {len(problems)} problems: " + "; ".join(problems[:5]) if problems else ""),
        not problems and routes > 0,
    )
    assert passed, problems
