"""The Django admin editors work in all day; one module per kind of content."""

from articles.admin import article, journal, preview, scholarly

__all__ = ["article", "journal", "preview", "scholarly"]
