"""What a web worker prepares before its first request, so the first shoppers after a deploy or
a worker restart do not wait for it: the URL patterns, the cache clients, the translations, every
Jinja2 template compiled to Python and the shop's Django templates parsed. Without it a worker's
first catalogue page took about 100 ms more, paid by whoever came first and those queued behind
them. No database or Redis round trip: a worker boots while they are away too.

Then what it loaded is frozen out of the garbage collector's sight (`gc.freeze()`): those objects
live as long as the worker, yet every full collection walked all of them (some 200,000: a
130 ms pause every few thousand pages, a product page's p99), and every collection of the older
generations part of them."""

import gc
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.template import engines
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)


def warm_up(*, freeze: bool = True) -> None:
    started = time.monotonic()
    get_resolver().reverse_dict  # noqa: B018 - builds the URL patterns' reverse lookup
    for alias in settings.CACHES:
        caches[alias]  # imports its client (django-redis: 50 ms); it connects on first use
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("Shop")  # loads the language's catalogues
    environment = engines["jinja2"].env  # type: ignore[attr-defined]  # the Jinja2 backend's
    for name in environment.list_templates():
        environment.get_template(name)
    # The shop's own Django templates (kept compiled by the cached loader), the admin's aside.
    django_engine = engines["django"]
    for directory in map(Path, django_engine.engine.dirs):  # type: ignore[attr-defined]  # DjangoTemplates'
        for path in sorted(directory.rglob("*.html")):
            name = path.relative_to(directory).as_posix()
            if not name.startswith("admin/"):
                django_engine.get_template(name)
    if freeze:
        gc.freeze()  # under a pre-forking server, also spares the workers' copies of these pages
    logger.info("web worker warmed up in %.0f ms", (time.monotonic() - started) * 1000)
