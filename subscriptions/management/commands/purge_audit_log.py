from django.conf import settings
from django.core.management.base import BaseCommand

from subscriptions.services import audit


class Command(BaseCommand):
    """Delete audit entries older than the retention period; run it daily.

    The audit trail is append-only in the admin; this is the only way entries leave it.
    """

    help = "Delete staff audit entries older than AUDIT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Age in days (default AUDIT_RETENTION_DAYS: {settings.AUDIT_RETENTION_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count only.")

    def handle(self, *args, days, dry_run, **options):
        count = audit.purge_audit(days=days, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{count} audit entr{'y' if count == 1 else 'ies'} to delete.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted {count} old audit entries."))
