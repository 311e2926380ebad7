"""What every page shows of the journal (header, footer): the primary journal, cached."""

from django.conf import settings
from django.core.cache import cache

from articles.models import Journal

JOURNAL_CACHE_KEY = "articles:primary-journal"


def primary_journal() -> Journal | None:
    """The site's journal, cached: every page's header and footer show it."""
    journal = cache.get(JOURNAL_CACHE_KEY)
    if journal is None:
        journal = Journal.objects.primary()
        if journal is not None:
            cache.set(JOURNAL_CACHE_KEY, journal, 300)
    return journal


def site(request):
    journal = primary_journal()
    return {
        "journal": journal,
        "site_name": journal.name if journal else settings.SITE_NAME,
        "site_short_name": journal.short_name if journal else settings.SITE_SHORT_NAME,
        "copyright_line": journal.copyright_line if journal else "",
    }
