"""Every currency column is built by common.money.currency_field: one shape, one default."""

from django.apps import apps
from django.db import models

from common.money import CURRENCY_DEFAULT, currency_field

SHOP_APPS = {"accounts", "carts", "catalog", "inventory", "orders", "payments", "promotions", "common"}


def _currency_columns() -> list[models.Field]:
    return [
        field
        for model in apps.get_models()
        if model._meta.app_label in SHOP_APPS
        for field in model._meta.get_fields()
        if isinstance(field, models.Field) and field.name == "currency"
    ]


def test_every_currency_column_has_the_shape_currency_field_gives() -> None:
    expected = currency_field().deconstruct()[1:]
    columns = _currency_columns()
    assert len(columns) >= 10
    for field in columns:
        _name, path, args, kwargs = field.deconstruct()
        assert (path, args, kwargs) == expected, field.model


def test_the_column_default_is_the_literal_the_migrations_hold() -> None:
    # A default read from settings would make `makemigrations` depend on the environment.
    assert currency_field().default == CURRENCY_DEFAULT == "USD"
