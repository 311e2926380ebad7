"""Load the demo journal content that `make run` shows a newcomer.

It reproduces the seed article page (the article, its references and every related
item) and adds a few issues, articles and authors so each page type has content.
Safe to run again: rows are matched by slug and updated, never duplicated. It refuses in
production (its articles would go live) unless forced.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.demo import load_demo, name_site


class Command(BaseCommand):
    help = "Create or update the demo journal, issues, authors and articles (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change, change nothing."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load it in production too (DJANGO_ENV=production): its articles go live.",
        )

    def handle(self, *args, dry_run=False, force=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError(
                "This is a production site (DJANGO_ENV=production): the demo's articles "
                "would be published on it. Nothing was loaded; --force loads them anyway."
            )
        tally = load_demo(dry_run=dry_run)
        if not settings.PRODUCTION and not dry_run and name_site(settings.SITE_URL):
            self.stdout.write(f"  site: links in feeds and sitemaps now use {settings.SITE_URL}")
        for name, counts in sorted(tally.items()):
            summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
            self.stdout.write(f"  {name}: {summary}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was saved."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo content loaded."))
