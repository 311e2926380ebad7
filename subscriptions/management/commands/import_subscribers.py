import argparse
import getpass
import textwrap
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from subscriptions import exports, services
from subscriptions.models import Profession
from subscriptions.services import RequestMeta, audit

_PROFESSIONS = textwrap.fill(
    ", ".join(Profession.values), 64, subsequent_indent=" " * 17, break_on_hyphens=False
)
COLUMNS = f"""\
The file: UTF-8 CSV with a header row naming these columns (any order; only email is
required, a missing column counts as empty):

  email          the address (required; one row per address)
  first_name     given name
  last_name      family name
  profession     one of: {_PROFESSIONS}
  organization   employer or institution
  address_line1  postal address, for the print edition
  address_line2
  city
  region         state or region
  postal_code    ZIP or postal code
  country        two-letter ISO code (US, CA, GB, ...)
  lists          slugs of the lists to subscribe to, separated by ";"
                 (e.g. jhop-e-newsletter;jhop-print-edition)
  requested_on   YYYY-MM-DD: when the person asked for the print edition

People are subscribed without a confirmation email; unsubscribed, bounced and erased
addresses are never subscribed again. Every invalid row is reported, the valid ones are
imported, and the command then exits with status 1 if any row was invalid.
"""


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown user"


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    """Bring an existing mailing list in from CSV, for lists too large for the admin upload.

    The same service as the admin import page: deduplicated, the consent source recorded,
    unsubscribes and erasures never overridden.
    """

    help = "Import subscribers from a CSV file.\n\n" + COLUMNS

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = _Formatter  # keeps the column table as written
        return parser

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the CSV file")
        parser.add_argument("--source", required=True, help="Where the list comes from.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; save nothing.")

    def handle(self, *args, path, source, dry_run, **options):
        try:
            rows = exports.read_csv(path.read_bytes())
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        report = services.import_subscribers(
            rows=rows, source=source, dry_run=dry_run, meta=RequestMeta(actor="import command")
        )
        audit.record_import(
            request=None,
            report=report,
            source=source,
            actor_name=f"manage.py import_subscribers ({_login()})",
        )
        for line, email, reason in report.invalid:
            self.stdout.write(self.style.WARNING(f"line {line} ({email}): {reason}"))
        summary = (
            f"{report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.invalid)} invalid"
        )
        if dry_run:
            self.stdout.write(self.style.NOTICE(f"Dry run, nothing saved: {summary}"))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}"))
        if report.invalid:
            raise CommandError(
                f"{len(report.invalid)} row(s) invalid (listed above)"
                + ("." if dry_run else ": the others were imported; fix these and run it again.")
            )
