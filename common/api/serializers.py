"""Field helpers and input rules shared by every app's serializers."""

import copy
import threading
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    """Money as a decimal string with two places (never a float)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


class StrictJSONTypesMixin:
    # Refuse a JSON value of the wrong type instead of converting it, and text longer than the
    # schema says. DRF turns 0 into "0" for a text field and "0" or 1 into a yes/no answer; the
    # schema says string and boolean, so a client sending anything else gets a 400 naming the
    # field. DRF also trims the whitespace around text before checking its length, so a newline
    # and 20 characters passed a `maxLength: 20`; the schema's limit is on what the client sends.
    # (Comments, not a docstring: drf-spectacular would show a docstring as the description of
    # every serializer that has none of its own, and the schema speaks to client developers.)

    default_type_messages = {
        str: _("Send text (a JSON string)."),
        bool: _("Send true or false."),
        int: _("Send a whole number (a JSON integer)."),
    }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():  # type: ignore[attr-defined]  # mixin: the serializer has .fields
                if field.read_only or name not in data or data[name] is None:
                    continue
                expected = _json_type(field)
                if expected is None:
                    continue
                value = data[name]
                # bool is an int in Python: a JSON true is not a whole number, nor 1 a yes.
                if not isinstance(value, expected) or isinstance(value, bool) is not (expected is bool):
                    errors[name] = [str(self.default_type_messages[expected])]
                elif isinstance(value, str) and (problems := untrimmed_text_errors(field, value)):
                    errors[name] = problems
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]  # mixin: the serializer after it in the MRO defines it


def untrimmed_text_errors(field: serializers.Field, value: str) -> list[str]:
    """The schema's `maxLength` and `pattern` checked on the text as sent, before DRF trims it."""
    if not isinstance(field, serializers.CharField):
        return []
    if field.max_length is not None and len(value) > field.max_length:
        return [str(field.error_messages["max_length"]).format(max_length=field.max_length)]
    for validator in field.validators:
        if isinstance(validator, RegexValidator) and value:
            try:
                validator(value)
            except DjangoValidationError as exc:
                return [str(message) for message in exc.messages]
    return []


def _json_type(field: serializers.Field) -> type | None:
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.ChoiceField):
        return str if all(isinstance(choice, str) for choice in field.choices) else None
    if isinstance(field, serializers.CharField):
        return str
    return None


class RejectUnknownFieldsMixin:
    # Refuse fields the serializer does not declare (price, total, status…) instead of ignoring
    # them. The schema says so too (`additionalProperties: false`, see common.api.schema).
    # A comment, not a docstring, for the reason given on StrictJSONTypesMixin.

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []  # type: ignore[attr-defined]  # mixin: the serializer has .fields
        errors: dict[str, Any] = {name: [_("Unknown field.")] for name in unknown}
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]  # mixin: the serializer after it in the MRO defines it
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            errors.update(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value


# The largest primary key PostgreSQL's bigint holds: a bigger id is a 400, not a database error.
BIGINT_MAX = 2**63 - 1


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: no strings ("2"), no booleans, no fractions (1.5 or 1.0)."""

    default_error_messages = {"invalid": _("Enter a whole number.")}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class KeptFieldsMixin:
    # A ModelSerializer builds its fields from the model (field mapping, validators) on every
    # instance: on the product API that was most of a fresh answer's serializer time. A
    # serializer whose fields do not depend on the request builds them once per class; each
    # instance gets its own copies, as DRF gives every instance of its declared fields: a deep
    # copy (DRF's runs the field's __init__ again) for nested serializers and writable fields, a
    # shallow one for a read-only field (still unbound here: binding sets its name and parent on
    # the copy; nothing else of it changes while it writes an answer).
    # (Comments, not a docstring: drf-spectacular would show it in the schema.)

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        kept = cls.__dict__.get("_kept_fields")
        if kept is None:
            kept = super().get_fields()  # type: ignore[misc]  # mixin: the serializer's own
            cls._kept_fields = kept  # type: ignore[attr-defined]  # per class, never per instance
        return {name: _field_copy(field) for name, field in kept.items()}

    @classmethod
    def represent(cls, instance: Any, *, context: Mapping[str, Any] | None = None, many: bool = False) -> Any:
        """What `cls(instance, many=many, context=context).data` gives, from a serializer built
        and bound once per class and thread: copying the fields for every instance was a
        quarter of a fresh product API answer (nested serializers are deep copies). For reads
        only; the fields keep no state between answers, only the context is the caller's."""
        kept: dict[tuple[type, bool], Any] = _represent_kept.__dict__.setdefault("serializers", {})
        serializer: Any = kept.get((cls, many))
        if serializer is None:
            serializer = cls(many=many)  # type: ignore[call-arg]  # mixin: the serializer's own
            (serializer.child if many else serializer).fields  # noqa: B018 - built and bound now, once
            kept[(cls, many)] = serializer
        serializer._context = dict(context or {})
        try:
            return serializer.to_representation(instance)
        finally:
            serializer._context = {}  # the request is not kept past its answer


# Per thread: a context set for one answer must not be read by another thread's answer.
_represent_kept = threading.local()


def _field_copy(field: serializers.Field) -> serializers.Field:
    if field.read_only and not isinstance(field, serializers.BaseSerializer):
        return copy.copy(field)
    return copy.deepcopy(field)
