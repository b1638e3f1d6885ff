"""Load demo data: the accounts first, then each of our apps' `demo.seed(stdout)`, in
INSTALLED_APPS order (an app depends only on apps above it, so their data is there already).

An app takes part by having a `demo` module with a `seed(stdout)` function; it must be idempotent.
"""

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import demo as accounts_demo


def _is_ours(app_config: AppConfig) -> bool:
    """An app of this repository, not Django's or a third party's."""
    path = Path(app_config.path).resolve()
    return path.is_relative_to(Path(settings.BASE_DIR).resolve()) and "site-packages" not in path.parts


def demo_seeders() -> list[tuple[str, Any]]:
    """(app label, seed function) for every app of ours after accounts that has `demo.seed`."""
    seeders = []
    for app_config in apps.get_app_configs():
        if app_config.name == "accounts" or not _is_ours(app_config):
            continue
        module_name = f"{app_config.name}.demo"
        # find_spec, not a try/except ImportError: a broken demo module must fail loudly.
        if importlib.util.find_spec(module_name) is None:
            continue
        seed = getattr(importlib.import_module(module_name), "seed", None)
        if callable(seed):
            seeders.append((app_config.label, seed))
    return seeders


class Command(BaseCommand):
    help = "Create demo accounts and each app's demo data (idempotent). Prints the demo sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts have public passwords: never on a real shop.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with publicly known passwords and DEBUG is off; "
                "pass --force if this really is a demo or test machine."
            )
        accounts_demo.seed(self.stdout)
        for label, seed in demo_seeders():
            self.stdout.write(f"Seeding {label}…")
            seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
