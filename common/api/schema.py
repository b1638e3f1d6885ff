"""The API's error shapes in the OpenAPI schema, and the error responses every app documents.

Documentation only: `common.api.exceptions` renders these shapes; keep the two in step.
"""

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


class SignInJWTScheme(SimpleJWTScheme):
    """The API's bearer tokens: simplejwt's scheme (`jwtAuth`), checked against the sign-in they name."""

    target_class = "accounts.authentication.SignInJWTAuthentication"


# `ApiError`, not `Error`: that name is taken in TypeScript and Swift (generators rename it, warning).
@extend_schema_serializer(component_name="ApiError")
class ErrorSerializer(serializers.Serializer):
    """Every refusal, whatever its status: a rule of the shop (sold out, not yours…), input that is
    not valid (400 `validation_error`, with `fields`), or a request the API does not take (401 not
    signed in, 403, 404, 405 method, 413 body too large, 415 not JSON, 429 too many, 503 try again)."""

    code = serializers.CharField(
        help_text=_("A stable machine-readable code, e.g. `not_found`, `insufficient_stock`, `sold_out`.")
    )
    message = serializers.CharField(help_text=_("A sentence to show the user."))
    # DRF's metaclass takes declared fields off the class: this does not shadow `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]  # a declared field, see the comment above
        required=False,
        child=serializers.JSONField(),
        help_text=_(
            "On a 400: field name to its error messages; `non_field_errors` for the input as a whole. "
            "A nested input has nested errors: `items` holds one object of errors per line."
        ),
    )
    extra = serializers.DictField(required=False, help_text=_("Details, e.g. the variant that ran out."))


# One model for every error status (a client decodes every refusal the same way); the name is
# kept for the views that document a 400.
ValidationErrorSerializer = ErrorSerializer


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with a page of `ProductList` items named `PaginatedProductList` (not
    `PaginatedProductListList`), and every field of a response marked required: an answer always
    carries each field its serializer declares (only an error's `fields` and `extra` may be left out)."""

    def get_paginated_name(self, serializer_name: str) -> str:
        if serializer_name.endswith("List"):
            return f"Paginated{serializer_name}"
        return super().get_paginated_name(serializer_name)

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and not isinstance(serializer, ErrorSerializer) and schema.get("properties"):
            schema["required"] = sorted(schema["properties"])
        return schema


def error_response(description: str) -> OpenApiResponse:
    """An `ErrorSerializer` response that says when it happens (name the `code`s)."""
    return OpenApiResponse(ErrorSerializer, description=description)


UNAUTHENTICATED = error_response("`not_authenticated`: sign in first.")
VALIDATION_ERROR = error_response("`validation_error`: some fields are not valid; `fields` says which.")
NOT_FOUND = error_response("`not_found`: there is none with that id, or it is not yours.")


# --- responses every operation of a kind has, added to the schema in one place ------------------

ERROR_REF = "#/components/schemas/ApiError"
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
IDEMPOTENT_REPLAYED = {
    "description": "`true`: this answers a request sent before with the same `Idempotency-Key`; nothing new was done.",
    "required": True,
    "schema": {"type": "string", "enum": ["true"]},
}
UNAVAILABLE = "`unavailable`: the shop cannot answer for a moment; try again after `Retry-After` seconds."


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
    if headers:
        response["headers"] = headers
    return response


def document_common_errors(result: dict, generator: object, request: object, public: bool) -> dict:
    """A drf-spectacular postprocessing hook: the answers every operation of a kind has, which the
    views do not each repeat, so the schema lists every status a client can get, each with the one
    `ApiError` model:

    - 401 wherever credentials are accepted (no, expired or bad credentials, even on a public
      operation: a bad token is refused before the permission is looked at);
    - 404 wherever the path names an object;
    - 400 wherever there is a body or a query parameter to get wrong, and on every list (its
      `page` and `page_size`); 404 on every list too (a page past the last);
    - 503 `unavailable` everywhere, with `Retry-After` (as on every 429);
    - `Idempotent-Replayed` on the 200 of an operation that takes an `Idempotency-Key`.

    The 413 (a body over 2.5 MB) and 414 (a path and query over about 4 KB) are answers of the
    transport rather than of an operation, and no schema-valid request gets them: `info` says so
    once instead of every operation listing them.

    It also makes the schema one that strict validators and client generators take as it is:
    money patterns need a digit, a nullable object is a plain nullable object (not `nullable`
    beside an `allOf`), and an enum with values such as `-price` names its values.
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("414", None)
            if any(requirement for requirement in operation.get("security", [])):
                responses.setdefault("401", _error(UNAUTHORIZED))
            if "{" in path:
                responses.setdefault("404", _error("`not_found`: there is none with that id, or it is not yours."))
            ok = responses.get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if str(ok.get("$ref", "")).startswith("#/components/schemas/Paginated"):
                responses.setdefault("400", _error("`validation_error`: a bad `page` or `page_size`."))
                responses.setdefault("404", _error("`not_found`: a page past the last one."))
            has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if operation.get("requestBody") or has_query:
                responses.setdefault("400", _error("`validation_error`: some input is not valid."))
            responses.setdefault("503", _error(UNAVAILABLE))
            for status in ("429", "503"):
                if status in responses:
                    responses[status].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
            if "200" in responses and any(
                p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])
            ):
                responses["200"].setdefault("headers", {})["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _describe_text(parameter.get("schema", {}))
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request"):
            for field in component.get("properties", {}).values():
                _describe_text(field)
    _inline_nullable_objects(result, schemas)
    _walk(result, _for_generators)
    return result


UNAUTHORIZED = (
    "`not_authenticated`: no credentials were sent. `token_not_valid`: the access token is malformed "
    "or expired; get a new one with the refresh token. `user_not_found` or `authentication_failed`: "
    "sign in again."
)


def _walk(node: Any, visit: Any) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


# drf-spectacular's decimal pattern takes "", "-" and "." (every part is optional): one digit is due.
_LAX_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _one_string(schema: dict[str, Any]) -> None:
    # A text field that may be blank but otherwise has a pattern (a web address) is "one of: the
    # pattern, or an empty string": generators make an empty class of that. It is one string schema
    # whose pattern also takes "", without a `format` ("" is no URI).
    options = schema.get("oneOf")
    if not (isinstance(options, list) and len(options) == 2 and options[1] == {"type": "string", "maxLength": 0}):
        return
    inner = dict(options[0])
    pattern = inner.get("pattern")
    if inner.get("type") != "string" or not isinstance(pattern, str):
        return
    inner.pop("format", None)
    if pattern.startswith("^") and pattern.endswith("$"):
        inner["pattern"] = f"^(?:{pattern[1:-1]})?$"
    else:
        inner["pattern"] = f"^$|{pattern}"
    del schema["oneOf"]
    schema.update(inner)


def _for_generators(schema: dict[str, Any]) -> None:
    _one_string(schema)
    pattern = schema.get("pattern")
    if schema.get("format") == "decimal" and isinstance(pattern, str) and (lax := _LAX_DECIMAL.match(pattern)):
        schema["pattern"] = rf"^-?\d{{1,{lax[1]}}}(?:\.\d{{1,{lax[2]}}})?$"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(value, str) for value in enum):
        schema.setdefault("type", "string")
        if any(value.startswith("-") for value in enum) and "x-enum-varnames" not in schema:
            # `-price` and `price` would both be PRICE (or VALUE_0): name them.
            schema["x-enum-varnames"] = [
                re.sub(r"\W+", "_", value.lstrip("-")).upper() + ("_DESC" if value.startswith("-") else "")
                for value in enum
            ]


def _inline_nullable_objects(result: dict[str, Any], schemas: dict[str, Any]) -> None:
    # `{"allOf": [{"$ref": X}], "nullable": true}` has no `type` for `nullable` to apply to, so a
    # strict OpenAPI 3.0 validator refuses null. X's object is written in place instead, with
    # `nullable`, and X goes if nothing else names it.
    inlined: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        for key, value in list(node.items()):
            if not isinstance(value, dict) or not value.get("nullable"):
                continue
            refs = value.get("allOf", [])
            if len(refs) == 1 and set(refs[0]) == {"$ref"}:
                name = refs[0]["$ref"].rsplit("/", 1)[1]
                target = schemas.get(name, {})
                if target.get("type") != "object":
                    continue
                rest = {k: v for k, v in value.items() if k != "allOf"}
                node[key] = {"title": name, **target, **rest}
                inlined.add(name)

    _walk(result.get("paths", {}), visit)
    _walk(schemas, visit)
    text = repr(result)
    for name in inlined:
        if f"'#/components/schemas/{name}'" not in text:
            schemas.pop(name, None)


# Text fields refuse NUL characters (PostgreSQL cannot store them) and, unless they may be blank,
# text that is only spaces (it is trimmed first). The patterns say so.
NO_NUL = "^[^\\u0000]*$"
# Python's whitespace (what str.strip() removes), spelt out: a regex engine's \\s may differ.
SPACE = "\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{SPACE}][^\\u0000]*$"


def _describe_text(schema: dict[str, Any]) -> None:
    if schema.get("type") != "string" or schema.get("readOnly") or {"format", "enum", "pattern"} & set(schema):
        return
    schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL


class RejectUnknownFieldsExtension(OpenApiSerializerExtension):
    """Request bodies of serializers that refuse undeclared fields say `additionalProperties: false`."""

    target_class = "common.api.serializers.RejectUnknownFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class ListLengthExtension(OpenApiSerializerFieldExtension):
    """A nested list (`many=True`) says how many items it takes: `allow_empty`, `min_length` and
    `max_length` become minItems / maxItems (drf-spectacular leaves them out)."""

    target_class = "rest_framework.serializers.ListSerializer"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:  # None: no schema
        schema: dict[str, Any] | None = auto_schema._unwrap_list_serializer(self.target, direction)
        if schema is None or direction != "request":
            return schema
        minimum = max(self.target.min_length or 0, 0 if self.target.allow_empty else 1)
        if minimum:
            schema["minItems"] = minimum
        if self.target.max_length is not None:
            schema["maxItems"] = self.target.max_length
        return schema
