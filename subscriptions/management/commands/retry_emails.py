from django.core.management.base import BaseCommand

from subscriptions import sending


class Command(BaseCommand):
    """Hand emails whose retry is due back to the send task.

    The database task queue schedules retries itself; this is for task backends that cannot
    run a task later, and for sending everything due right away after an outage.
    """

    help = "Re-queue subscription emails whose retry is due."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count only.")

    def handle(self, *args, dry_run, **options):
        if dry_run:
            due = sending.due().count()
            self.stdout.write(f"{due} email(s) due to be sent now (nothing sent: dry run).")
            return
        count = sending.retry_due()
        self.stdout.write(self.style.SUCCESS(f"{count} email(s) handed to the sender."))
