"""What every page shows of the journal (header, footer): the primary journal."""

from django.conf import settings

from articles.caching import PerVersion
from articles.models import Journal

_journal = PerVersion(Journal.objects.primary)


def primary_journal() -> Journal | None:
    """The site's journal, read once per content version: every page's header and footer
    show it (a change to it is a change of public content, hence a new version)."""
    return _journal.get()


def site(request):
    journal = primary_journal()
    return {
        "journal": journal,
        "site_name": journal.name if journal else settings.SITE_NAME,
        "site_short_name": journal.short_name if journal else settings.SITE_SHORT_NAME,
        "copyright_line": journal.copyright_line if journal else "",
    }
