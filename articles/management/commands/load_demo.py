"""Load the demo journal content that `make run` shows a newcomer.

It reproduces the seed article page (the article, its references and every related
item) and adds a few issues, articles and authors so each page type has content.
Safe to run again: rows are matched by slug and updated, never duplicated.
"""

from django.core.management.base import BaseCommand

from articles.demo import load_demo


class Command(BaseCommand):
    help = "Create or update the demo journal, issues, authors and articles (idempotent)."

    def handle(self, *args, **options):
        tally = load_demo()
        for name, counts in sorted(tally.items()):
            summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
            self.stdout.write(f"  {name}: {summary}")
        self.stdout.write(self.style.SUCCESS("Demo content loaded."))
