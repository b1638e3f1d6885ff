"""Addresses get an optional phone, and their free-text country becomes an ISO 3166-1 alpha-2 code.

This migration rewrites the text in place (a two-letter code, a three-letter code, an English
name in any case, or a common alias such as "USA" or "UK"); the next one narrows the column to a
`CountryField`. A country it cannot recognise becomes "" rather than stopping the deploy: the
address still exists, the address book shows it without a country, and checkout refuses to ship
to it until the customer picks one (`orders.services.quote`).
"""

from django.db import migrations, models

import accounts.validators

ALIASES = {
    "UNITED STATES": "US",
    "USA": "US",
    "U.S.A.": "US",
    "U.S.": "US",
    "UNITED STATES OF AMERICA": "US",
    "AMERICA": "US",
    "UK": "GB",
    "U.K.": "GB",
    "GREAT BRITAIN": "GB",
    "BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "DEUTSCHLAND": "DE",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "SOUTH KOREA": "KR",
    "KOREA": "KR",
    "RUSSIA": "RU",
}


def country_code(text: str) -> str:
    """The alpha-2 code `text` names, or "" when it names none."""
    from django_countries import countries

    text = " ".join((text or "").split())
    if not text:
        return ""
    upper = text.upper()
    if upper in ALIASES:
        return ALIASES[upper]
    if len(text) in (2, 3) and (code := countries.alpha2(upper)):
        return code
    return countries.by_name(text) or ""


def to_codes(apps, schema_editor):
    Address = apps.get_model("accounts", "Address")
    mapping: dict[str, list[int]] = {}
    for pk, text in Address.objects.values_list("pk", "country").iterator():
        mapping.setdefault(country_code(text), []).append(pk)
    for code, pks in mapping.items():
        Address.objects.filter(pk__in=pks).update(country=code)


def to_names(apps, schema_editor):
    """Back to text: the English name of each code (an unknown one stays "")."""
    from django_countries import countries

    Address = apps.get_model("accounts", "Address")
    for code in Address.objects.values_list("country", flat=True).distinct():
        Address.objects.filter(country=code).update(country=str(countries.name(code)) if code else "")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_text_maximums"),
    ]

    operations = [
        migrations.AddField(
            model_name="address",
            name="phone",
            field=models.CharField(
                blank=True,
                help_text="For the courier (optional).",
                max_length=32,
                validators=[accounts.validators.validate_phone],
                verbose_name="phone",
            ),
        ),
        migrations.RunPython(to_codes, to_names),
    ]
