"""Form helpers the page views share."""

from django import forms


def form_error_messages(form: forms.Form) -> list[str]:
    """Every error of a bound, invalid form as a sentence for a flash message ("Quantity: …")."""
    found: list[str] = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        found.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return found
