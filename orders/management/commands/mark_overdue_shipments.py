"""Flag shipments past their estimated delivery that have not been delivered (see
`orders.services.fulfilment.shipments_mark_overdue`). Safe to run as often as you like."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders.services import shipments_mark_overdue


def _moment(value: str) -> dt.datetime:
    """An ISO 8601 date and time (UTC unless it says otherwise)."""
    parsed = parse_datetime(value.strip())
    if parsed is None:
        raise ValueError(value)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


class Command(BaseCommand):
    help = "Flag shipments not delivered by their estimated delivery as overdue. Prints how many; exit 1 on error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            help="Count as overdue what was due before this moment, e.g. 2026-12-01T12:00 (default: now, UTC).",
        )

    def handle(self, *args: object, **options: str | None) -> None:
        try:
            now = _moment(options["as_of"]) if options["as_of"] is not None else timezone.now()
        except ValueError:
            raise CommandError("--as-of is a date and time such as 2026-12-01T12:00 (UTC).") from None
        if now > timezone.now():
            raise CommandError("--as-of cannot be in the future.")
        try:
            flagged = shipments_mark_overdue(now=now)
        except DatabaseError as exc:
            raise CommandError(
                f"The database did not answer; nothing was flagged ({exc.__class__.__name__})."
            ) from None
        self.stdout.write(f"{flagged} shipment(s) flagged overdue as of {now:%Y-%m-%d %H:%M} UTC.")
