"""Make every cached public page stale, here and (with PAGE_CACHE_PURGE_URL) on the CDN."""

from django.conf import settings
from django.core.management.base import BaseCommand

from articles.caching import bump_content_version, content_version


class Command(BaseCommand):
    help = (
        "Mark every cached public page stale and, when PAGE_CACHE_PURGE_URL is set, ask the "
        "CDN to purge (the same as what happens after each publish)."
    )

    def handle(self, *args, **options):
        bump_content_version()
        self.stdout.write(f"Content version is now {content_version()}.")
        if settings.PAGE_CACHE_PURGE_URL:
            self.stdout.write(f"Purge requested from {settings.PAGE_CACHE_PURGE_URL}.")
