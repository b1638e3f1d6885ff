"""The API's error shapes in the OpenAPI schema, and the error responses every app documents.

Documentation only: `common.api.exceptions` renders these shapes; keep the two in step.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """A refused request: a rule of the shop (sold out, not yours…), or a request the API does not
    take (401 not signed in, 403, 404, 405 method, 413 body too large, 415 not JSON, 429 too many)."""

    code = serializers.CharField(
        help_text=_("A stable machine-readable code, e.g. `not_found`, `insufficient_stock`, `sold_out`.")
    )
    message = serializers.CharField(help_text=_("A sentence to show the user."))
    extra = serializers.DictField(required=False, help_text=_("Details, e.g. the variant that ran out."))


class ValidationErrorSerializer(serializers.Serializer):
    """Input that is not valid (400)."""

    code = serializers.CharField(default="validation_error")
    message = serializers.CharField()
    # DRF's metaclass takes declared fields off the class: this does not shadow `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text=_(
            "Field name to its error messages; `non_field_errors` for the input as a whole. "
            "A nested input has nested errors: `items` holds one object of errors per line."
        ),
    )


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with a page of `ProductList` items named `PaginatedProductList` (not
    `PaginatedProductListList`)."""

    def get_paginated_name(self, serializer_name: str) -> str:
        if serializer_name.endswith("List"):
            return f"Paginated{serializer_name}"
        return super().get_paginated_name(serializer_name)


def error_response(description: str) -> OpenApiResponse:
    """An `ErrorSerializer` response that says when it happens (name the `code`s)."""
    return OpenApiResponse(ErrorSerializer, description=description)


UNAUTHENTICATED = error_response("`not_authenticated`: sign in first.")
VALIDATION_ERROR = OpenApiResponse(ValidationErrorSerializer, description="Some fields are not valid.")
NOT_FOUND = error_response("`not_found`: there is none with that id, or it is not yours.")


# --- responses every operation of a kind has, added to the schema in one place ------------------


def _error(description: str, component: str = "Error") -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def document_common_errors(result: dict, generator: object, request: object, public: bool) -> dict:
    """A drf-spectacular postprocessing hook: the answers DRF gives on every operation of a kind,
    which the views do not each repeat, so the schema lists every status a client can get:

    - 401 wherever credentials are accepted (no, expired or bad credentials, even on a public
      operation: a bad token is refused before the permission is looked at);
    - 404 wherever the path names an object;
    - 400 wherever there is a body or a query parameter to get wrong, and on every list (its
      `page` and `page_size`); 404 on every list too (a page past the last);
    - 414 everywhere: gunicorn refuses a request line (path and query) over about 4 KB before
      Django sees it. Every schema-valid request fits (text parameters have a `maxLength`).
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            if any(requirement for requirement in operation.get("security", [])):
                responses.setdefault("401", _error(UNAUTHORIZED))
            if "{" in path:
                responses.setdefault("404", _error("`not_found`: there is none with that id, or it is not yours."))
            ok = responses.get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if str(ok.get("$ref", "")).startswith("#/components/schemas/Paginated"):
                responses.setdefault(
                    "400", _error("`validation_error`: a bad `page` or `page_size`.", "ValidationError")
                )
                responses.setdefault("404", _error("`not_found`: a page past the last one."))
            responses.setdefault("414", URI_TOO_LONG)
            has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if operation.get("requestBody") or has_query:
                responses.setdefault("400", _error("`validation_error`: some input is not valid.", "ValidationError"))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _describe_text(parameter.get("schema", {}))
            for response in responses.values():
                _either_error_shape(response.get("content", {}).get("application/json", {}).get("schema", {}))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        _either_error_shape(component)
        if name.endswith("Request"):
            for field in component.get("properties", {}).values():
                _describe_text(field)
    return result


UNAUTHORIZED = (
    "`not_authenticated`: no credentials were sent. `token_not_valid`: the access token is malformed "
    "or expired; get a new one with the refresh token. `user_not_found` or `authentication_failed`: "
    "sign in again."
)

# The server's own page, not JSON: so no content is documented.
URI_TOO_LONG = {"description": "The path and query are longer than the server reads (about 4 KB)."}


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


def _either_error_shape(schema: dict[str, Any]) -> None:
    # A ValidationError is also a valid Error (code and message), so "one of the two" would
    # refuse every validation error: the union is "any of".
    refs = {option.get("$ref", "") for option in schema.get("oneOf", [])}
    if refs and refs <= {"#/components/schemas/Error", "#/components/schemas/ValidationError"}:
        schema["anyOf"] = schema.pop("oneOf")


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
