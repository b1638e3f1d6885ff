import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.exceptions import DomainError
from orders.services import sales_rollup_finished_day

DAY_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(value: str) -> dt.date:
    """A YYYY-MM-DD day. Only that form: `date.fromisoformat` also takes 20261120 or 2026-W47-5."""
    if not DAY_FORMAT.fullmatch(value.strip()):
        raise ValueError(value)
    return dt.date.fromisoformat(value.strip())


class Command(BaseCommand):
    help = "Rebuild daily product sales for a day that is over (--date) or every day from --since to yesterday."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--date", help="The day to roll up, YYYY-MM-DD in UTC, before today (default: yesterday).")
        group.add_argument("--since", help="Roll up every day from this one (YYYY-MM-DD) to yesterday.")

    def handle(self, *args: object, **options: str | None) -> None:
        today = timezone.now().date()
        try:
            if options["since"]:
                first = _day(options["since"])
                days = [first + dt.timedelta(days=n) for n in range((today - first).days)]
                if not days:
                    raise CommandError("--since must be a day before today.")
            else:
                days = [_day(options["date"]) if options["date"] else today - dt.timedelta(days=1)]
        except ValueError:
            raise CommandError("Dates are written YYYY-MM-DD, for example 2026-11-20.") from None
        for day in days:
            try:
                products = sales_rollup_finished_day(day=day)  # refuses today and later: not over yet
            except DomainError as exc:
                raise CommandError(str(exc.message)) from None
            self.stdout.write(f"{day.isoformat()}: {products} products with sales")
