from django.core.management.base import BaseCommand

from subscriptions.services import RequestMeta
from subscriptions.services.delivery import restore_print_ended_by_email_reports


class Command(BaseCommand):
    """Give back print subscriptions that an email bounce, complaint or unsubscribe ended.

    Until reports from the email service ended email lists only, they ended every list,
    print included: a reader whose work address bounced stopped getting the printed journal.
    Run once with --dry-run to see who, then without to restore them.
    """

    help = "Restore print subscriptions ended by email service reports."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List only.")

    def handle(self, *args, dry_run, **options):
        restored = restore_print_ended_by_email_reports(
            dry_run=dry_run, meta=RequestMeta(actor="restore_print_subscriptions")
        )
        for line in restored:
            self.stdout.write(line)
        verb = "would be restored (dry run)" if dry_run else "restored"
        self.stdout.write(self.style.SUCCESS(f"{len(restored)} print subscription(s) {verb}."))
