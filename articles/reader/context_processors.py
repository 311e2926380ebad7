"""What every page shows of the journal (header, footer): the primary journal."""

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from articles.derived.pagecache import PerVersion
from articles.models import Journal

_journal = PerVersion(Journal.objects.primary)


def primary_journal() -> Journal | None:
    """The site's journal, read once per content version: every page's header and footer
    show it (a change to it is a change of public content, hence a new version)."""
    return _journal.get()


# The header and footer links, by URL name ("" where the URLconf has no such page).
SITE_LINKS = {
    "home": "home",
    "issues": "articles:issue-list",
    "topics": "articles:topic-list",
    "search": "articles:search",
    "subscribe": "subscriptions:subscribe",
    "rss": "articles:feed-latest-rss",
    "atom": "articles:feed-latest-atom",
}
_links: dict[tuple, dict[str, str]] = {}


def site_links() -> dict[str, str]:
    """The header's and footer's addresses, reversed once per URLconf and script prefix
    (they were a dozen {% url %} tags on every page, each a full reverse())."""
    key = (get_urlconf(), get_script_prefix())
    links = _links.get(key)
    if links is None:
        links = {}
        for name, url_name in SITE_LINKS.items():
            try:
                links[name] = reverse(url_name)
            except NoReverseMatch:
                links[name] = ""
        _links[key] = links
    return links


def site(request):
    journal = primary_journal()
    return {
        "site_links": site_links(),
        "journal": journal,
        "site_name": journal.name if journal else settings.SITE_NAME,
        "site_short_name": journal.short_name if journal else settings.SITE_SHORT_NAME,
        "copyright_line": journal.copyright_line if journal else "",
    }
