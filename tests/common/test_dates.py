"""common/dates.py: a row's moment printed as Django's template engine prints
`<time datetime="{{ value|date:'c' }}">{{ value|date }}</time>`, in the active time zone and
language, read once a page and kept per moment."""

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from common.dates import local_dates

DJANGO = Template("<time datetime=\"{{ value|date:'c' }}\">{{ value|date }}</time>")
MOMENTS = [
    datetime.datetime(2026, 12, 6, 23, 59, 30, tzinfo=datetime.UTC),  # the next day in Kolkata
    datetime.datetime(2026, 12, 7, 3, 15, tzinfo=datetime.UTC),  # the day before in New York
    datetime.datetime(2026, 3, 8, 7, 30, 0, 123456, tzinfo=datetime.UTC),  # microseconds, New York's DST day
    datetime.datetime(2026, 5, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),  # stored in another zone
]


@pytest.mark.parametrize("language", ["en", "de", "fr"])
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_a_moment_is_printed_as_django_prints_it_in_the_active_zone_and_language(zone, language):
    with timezone.override(zoneinfo.ZoneInfo(zone)), translation.override(language):
        dates = local_dates()
        for moment in MOMENTS:
            expected = DJANGO.render(Context({"value": moment}))
            assert dates.time_tag(moment) == expected
            assert dates.time_tag(moment) == expected  # kept: the same text again


def test_the_same_moment_in_two_zones_or_languages_prints_each_its_own():
    moment = MOMENTS[0]
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        in_utc = local_dates().time_tag(moment)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):
        in_kolkata = local_dates().time_tag(moment)
        with translation.override("de"):
            in_german = local_dates().time_tag(moment)
    assert in_utc == '<time datetime="2026-12-06T23:59:30+00:00">Dec. 6, 2026</time>'
    assert in_kolkata == '<time datetime="2026-12-07T05:29:30+05:30">Dec. 7, 2026</time>'
    assert in_german == '<time datetime="2026-12-07T05:29:30+05:30">7. Dezember 2026</time>'


def test_without_time_zones_or_with_a_naive_moment_it_is_printed_as_it_is(settings):
    naive = datetime.datetime(2026, 12, 7, 3, 15)
    assert local_dates().time_tag(naive) == DJANGO.render(Context({"value": naive}))
    settings.USE_TZ = False
    for moment in (naive, *MOMENTS):
        assert local_dates().time_tag(moment) == DJANGO.render(Context({"value": moment}))
