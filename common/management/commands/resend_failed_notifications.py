"""Send again the notifications whose last try failed (a mail server that refused, a render that
broke), e.g. once the mail server is back. Each is queued for the outbox's send task (or, with
`--now`, sent by this process); the sender claims a row before sending, so a notification already
sent meanwhile is left alone and none goes out twice.

Exit status: 0 when every matching notification was queued (or sent), 1 otherwise (the task queue
does not answer, a send failed again, bad arguments). One line of output either way.
"""

import datetime as dt
import re
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from kombu.exceptions import KombuError

from common import outbox

DAY_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
AGO_FORMAT = re.compile(r"(?P<count>\d{1,5})(?P<unit>[mhd])")
AGO_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
SINCE_HELP = "2026-12-01 (a UTC day), 2026-12-01T08:30 (UTC unless an offset is given), or 90m, 12h, 7d ago."


def _since(value: str) -> dt.datetime:
    """A moment from the operator's text; ValueError for anything else (no guessing)."""
    text = value.strip()
    if ago := AGO_FORMAT.fullmatch(text):
        return timezone.now() - dt.timedelta(**{AGO_UNITS[ago["unit"]]: int(ago["count"])})
    if DAY_FORMAT.fullmatch(text):
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time.min, tzinfo=dt.UTC)
    if DAY_FORMAT.match(text) and "T" in text:
        moment = dt.datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    raise ValueError(value)


class Command(BaseCommand):
    help = "Send again the notifications that failed (optionally of some kinds, or failed since a moment)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message: str) -> NoReturn:
            # argparse prints its usage too; an operator's script wants one line and a status.
            if parser.called_from_command_line:
                sys.stderr.write(f"Error: {message} (see --help)\n")
                sys.exit(2)
            raise CommandError(f"Error: {message}")

        parser.error = one_line_error  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind", action="append", default=[], help="Only this kind (repeat for several), e.g. confirmation."
        )
        parser.add_argument("--since", help=f"Only notifications written since then: {SINCE_HELP}")
        parser.add_argument("--now", action="store_true", help="Send them from this process, not the task queue.")
        parser.add_argument("--dry-run", action="store_true", help="Only say how many would be sent again.")

    def handle(self, *args: Any, **options: Any) -> None:
        kinds: list[str] = options["kind"]
        known = {kind.name for kind in outbox.notification_kinds()}
        unknown = [kind for kind in kinds if kind not in known]
        if unknown:
            raise CommandError(f"Unknown notification kind {unknown[0]!r}; known kinds: {', '.join(sorted(known))}.")
        since = None
        if options["since"] is not None:
            try:
                since = _since(options["since"])
            except ValueError:
                raise CommandError(f"--since {options['since']!r} is not a moment; write {SINCE_HELP}") from None
            if since > timezone.now():
                raise CommandError("--since is in the future: nothing can have failed since then.")

        failed = outbox.notifications_failed(kinds=kinds, since=since)
        if not failed:
            self.stdout.write("No failed notifications to send again.")
            return
        if options["dry_run"]:
            self.stdout.write(f"{len(failed)} failed notifications would be sent again (dry run).")
            return
        if options["now"]:
            self._send_now(failed)
            return
        from common.tasks import notification_send_task

        queued = 0
        try:
            for notification_id in failed:
                notification_send_task.delay(notification_id)
                queued += 1
        except KombuError as exc:
            raise CommandError(
                f"The task queue is not answering ({exc.__class__.__name__}): {queued} of {len(failed)} "
                "failed notifications queued; try again, or send them from here with --now."
            ) from None
        self.stdout.write(f"Queued {queued} failed notifications to be sent again.")

    def _send_now(self, failed: list[int]) -> None:
        sent = errors = 0
        for notification_id in failed:
            try:
                sent += outbox.notification_send(notification_id=notification_id)
            except Exception:  # noqa: BLE001 - recorded on the row (last_error); counted here
                errors += 1
        if errors:
            raise CommandError(
                f"Sent {sent} of {len(failed)} failed notifications; {errors} failed again (see their failure reason)."
            )
        self.stdout.write(f"Sent {sent} of {len(failed)} failed notifications.")
