"""What other apps may use of the journal's public side, besides articles.models,
articles.signals and articles.admin.shared: the decorator that makes a view's answers
public, cacheable pages (and how such a page names what it shows), page metadata, and the
sitemap registry another app adds its section to."""

from articles.derived.pagecache import cache_public_page, shows
from articles.reader.metadata import page_meta
from articles.reader.sitemaps import sitemaps

__all__ = ["cache_public_page", "page_meta", "shows", "sitemaps"]
