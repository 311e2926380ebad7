"""Delete uploads kept for forms that came back with an error and were never sent again.

A file chosen in the admin survives a validation error as a temporary copy (see
articles/admin/uploads.py); an editor who walks away leaves it behind. Run daily.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand

from articles.admin.uploads import MAX_AGE, purge_kept_uploads


class Command(BaseCommand):
    help = "Delete temporary copies of uploads from abandoned admin forms."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=MAX_AGE // 3600,
            help="Delete copies older than this (default: how long a form may use them).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, hours, dry_run, **options):
        count = purge_kept_uploads(older_than=timedelta(hours=hours), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} kept upload(s)."))
