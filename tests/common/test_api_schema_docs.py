"""The OpenAPI schema is documentation for client developers (issue 9 §5): component names say
each word once, descriptions speak of the API (never of the code behind it), and the password
rule is written out."""

import itertools
import json
import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WORD = re.compile(r"[A-Z][a-z0-9]*")
# Words about how the API is built, which mean nothing to a client developer.
INTERNALS = re.compile(
    r"\b(DRF|Django|serializers?|querysets?|metaclass|mixin|drf-spectacular|axes|django-axes|gunicorn|"
    r"Redis|Celery|PostgreSQL|select_for_update|transaction|common\.api\.\w+)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


def _descriptions(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield where, value
            else:
                yield from _descriptions(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _descriptions(item, where)


def test_no_component_name_says_a_word_twice(schema):
    doubled = []
    for name in schema["components"]["schemas"]:
        words = WORD.findall(name)
        if any(a == b for a, b in itertools.pairwise(words)):
            doubled.append(name)
    assert doubled == []
    assert "PaginatedProductList" in schema["components"]["schemas"]


def test_every_paginated_list_still_points_at_its_items(schema):
    schemas = schema["components"]["schemas"]
    for name, component in schemas.items():
        if name.startswith("Paginated"):
            ref = component["properties"]["results"]["items"]["$ref"]
            assert ref.rsplit("/", 1)[1] in schemas, (name, ref)
    assert "#/components/schemas/PaginatedProductListList" not in json.dumps(schema)


def test_descriptions_speak_to_client_developers(schema):
    internal = [(where, text[:120]) for where, text in _descriptions(schema) if INTERNALS.search(text)]
    assert internal == []


def test_the_password_rule_is_written_out(schema):
    password = schema["components"]["schemas"]["RegisterRequest"]["properties"]["password"]

    assert "at least 10 characters" in password["description"]
    assert "entirely numeric" in password["description"]
    assert schema["components"]["schemas"]["TokenObtainRequest"]["properties"]["password"]["description"]


def test_the_401_response_names_token_not_valid(schema):
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]["401"]["description"]

    assert "`token_not_valid`" in me and "`not_authenticated`" in me
