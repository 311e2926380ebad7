from datetime import timedelta

from django.core.management.base import BaseCommand

from subscriptions import services


class Command(BaseCommand):
    """Delete signups never confirmed after a while (data minimisation); run it daily.

    Only people whose every subscription is still pending go: anyone who ever confirmed,
    unsubscribed or bounced keeps their record as evidence.
    """

    help = "Delete subscribers who never confirmed their signup."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Age in days (default 30).")
        parser.add_argument("--dry-run", action="store_true", help="Count only.")

    def handle(self, *args, days, dry_run, **options):
        count = services.purge_unconfirmed(older_than=timedelta(days=days), dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{count} unconfirmed subscriber(s) older than {days} days.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted {count} unconfirmed subscriber(s)."))
