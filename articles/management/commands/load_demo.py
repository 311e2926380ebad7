"""Load the demo journal content that `make run` shows a newcomer.

It reproduces the seed article page (the article, its references and every related
item) and adds a few issues, articles and authors so each page type has content.
Safe to run again: rows are matched by slug and updated, never duplicated.
"""

from django.core.management.base import BaseCommand

from articles.demo import load_demo


class Command(BaseCommand):
    help = "Create or update the demo journal, issues, authors and articles (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change, change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        tally = load_demo(dry_run=dry_run)
        for name, counts in sorted(tally.items()):
            summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
            self.stdout.write(f"  {name}: {summary}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was saved."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo content loaded."))
