"""Make cached public pages stale, here and (with PAGE_CACHE_PURGE_URL) on the CDN: all of
them, or those carrying the tags given (what a page's Cache-Tag header names)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from articles.derived.pagecache import content_version, invalidate
from articles.signals import EVERY_PAGE


class Command(BaseCommand):
    help = (
        "Mark every cached public page stale (or, with --tag, those carrying the tags) and, "
        "when PAGE_CACHE_PURGE_URL is set, ask the CDN to purge them (as after each publish)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tag", action="append", default=[], help="e.g. article:12 (repeatable)"
        )

    def handle(self, *args, tag, **options):
        tags = tag or [EVERY_PAGE]
        invalidate(tags)
        self.stdout.write(f"Invalidated {', '.join(tags)}; content version {content_version()}.")
        if settings.PAGE_CACHE_PURGE_URL:
            self.stdout.write(f"Purge requested from {settings.PAGE_CACHE_PURGE_URL}.")
