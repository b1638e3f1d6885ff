"""The production settings as the scorecard serves them (row 2, security headers and CSP):
`DJANGO_SETTINGS_MODULE=scorecard.settings_production`.

Exactly `config.settings.production`, except that WhiteNoise serves static files straight from
the apps' folders, under their plain names, so the browser journeys load every script and
stylesheet without a `collectstatic` into the working tree first (production's manifest storage
needs the manifest `collectstatic` writes).
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

WHITENOISE_USE_FINDERS = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
