"""Paths of pages addressed by a slug, reversed once per URL pattern rather than per link.

A page links to some forty articles, issues, topics and authors; reverse() matches the
URL pattern again for each. The path of a slug-addressed page is the pattern's path with
the slug put in, so the pattern is reversed once (per URLconf and script prefix) and the
slug inserted after. A slug reverse() would not accept falls back to reverse(), which
raises as before.
"""

import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
_MARK = "0slug0"
_patterns: dict[tuple, tuple[str, str] | None] = {}


def slug_path(name: str, slug: str) -> str:
    """reverse(name, kwargs={"slug": slug}), for a URL whose only argument is a slug."""
    key = (name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    parts = _patterns.get(key, False)
    if parts is False:
        path = reverse(name, kwargs={"slug": _MARK})
        parts = tuple(path.split(_MARK)) if path.count(_MARK) == 1 else None
        _patterns[key] = parts
    if parts is None or not _SLUG.match(slug):
        return reverse(name, kwargs={"slug": slug})
    return f"{parts[0]}{slug}{parts[1]}"


def site_url(path: str) -> str:
    """path on the site's public address, SITE_URL as configured now: what feeds, sitemaps,
    OAI, JATS, Crossref, Scholar tags and emails print, whatever host a request came by
    (and whatever the django_site row says)."""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return f"{settings.SITE_URL.split(':', 1)[0]}:{path}"
    return settings.SITE_URL + path
