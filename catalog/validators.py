"""Validators of catalogue fields."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

_absolute_url = URLValidator(schemes=["http", "https"])


def validate_image_url(value: str) -> None:
    """An absolute http(s) URL, or a path on this site such as ``/static/img/products/a.svg``.

    Site paths keep the shop working with no network (the demo images are static files).
    """
    if value.startswith("/") and not value.startswith("//"):
        if any(char.isspace() for char in value):
            raise ValidationError(_("Enter a valid URL or a path starting with /."), code="invalid")
        return
    try:
        _absolute_url(value)
    except ValidationError:
        raise ValidationError(_("Enter a valid URL or a path starting with /."), code="invalid") from None
