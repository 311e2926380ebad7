import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from subscriptions import exports, services
from subscriptions.services import RequestMeta, audit


class Command(BaseCommand):
    """Bring an existing mailing list in from CSV, for lists too large for the admin upload.

    The same service as the admin import page: deduplicated, the consent source recorded,
    unsubscribes and erasures never overridden.
    """

    help = "Import subscribers from a CSV file (see the admin import page for the columns)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
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
            actor_name=f"manage.py import_subscribers ({getpass.getuser()})",
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
