"""The extract shown under each result, with the query's words marked, safe to show."""

import html
import re

import nh3
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from articles.reader.search.query import terms_of

SNIPPET_CHARS = 240


def clean_headline(headline: str) -> SafeString:
    """A ts_headline of stored text: only its <mark> tags kept, everything else escaped."""
    return mark_safe(nh3.clean(headline, tags={"mark"}, attributes={})) if headline else ""


def plain_snippet(text: str) -> SafeString:
    """The start of a text, about SNIPPET_CHARS long, escaped (a list with no words)."""
    text = " ".join(text.split())
    return escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""))


def add_snippets(articles: list[Article], query: str) -> None:
    """Set .snippet on each article shown that has none yet (the PostgreSQL search sets them
    from its headlines): a marked extract cut in Python."""
    for article in articles:
        if not hasattr(article, "snippet"):
            article.snippet = snippet(article, query)


def snippet(article: Article, query: str) -> SafeString:
    """A short extract of the article with the query's words marked, safe to show."""
    headline = getattr(article, "headline", None)
    if headline:
        return clean_headline(headline)
    text = html.unescape(strip_tags(f"{article.standfirst} {article.body}"))
    text = " ".join(text.split())
    terms = terms_of(query)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - SNIPPET_CHARS // 3) if match else 0
    extract = text[start : start + SNIPPET_CHARS]
    extract = ("…" if start else "") + extract + ("…" if start + SNIPPET_CHARS < len(text) else "")
    if not pattern:
        return escape(extract)
    pieces = re.split(f"({pattern.pattern})", extract, flags=re.IGNORECASE)
    marked = "".join(
        f"<mark>{escape(piece)}</mark>" if i % 2 else escape(piece)
        for i, piece in enumerate(pieces)
    )
    return mark_safe(marked)
