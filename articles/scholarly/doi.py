"""DOIs: made from the journal's prefix and suffix pattern when an article is first published.

An editor may type a DOI instead; once the article has been published its DOI never changes
(Article.clean refuses it), because a DOI registered with Crossref is a permanent link.
"""

import re

from django.utils.text import slugify

from articles.models import Article, Issue, Journal

_UNSET = object()


def journal_of(article: Article, primary=_UNSET) -> Journal | None:
    """The journal an article belongs to: its issue's, or the primary one for web-only articles.

    A caller handling many articles passes primary (Journal.objects.primary(), once).
    """
    if article.issue_id:
        return article.issue.journal
    return Journal.objects.primary() if primary is _UNSET else primary


def _expand(journal: Journal, pattern: str, parts: dict[str, str]) -> str:
    parts = {"journal": slugify(journal.short_name) or journal.slug, **parts}
    suffix = re.sub(r"\{(\w+)\}", lambda m: parts.get(m.group(1), ""), pattern)
    # An empty part (a web-only article has no volume) must not leave "..".
    suffix = re.sub(r"([._;/:-])[._;/:-]+", r"\1", suffix).strip("._;/:-")
    return f"{journal.doi_prefix}/{suffix.lower()}"


def make_doi(article: Article, journal: Journal) -> str:
    """The DOI the journal's pattern gives this (saved, dated) article."""
    date = article.published_at
    parts = {
        "year": str(date.year) if date else "",
        "volume": str(article.issue.volume or "") if article.issue_id else "",
        "issue": str(article.issue.number or "") if article.issue_id else "",
        "id": str(article.pk),
        "slug": article.slug,
    }
    return _expand(journal, journal.doi_suffix_pattern, parts)


def issue_doi(issue: Issue) -> str:
    """The issue's DOI: the one it was given, else what the journal's issue pattern gives
    (empty when the journal has no issue DOI pattern or no prefix)."""
    journal = issue.journal
    if issue.doi or not (journal.issue_doi_pattern and journal.doi_prefix):
        return issue.doi
    parts = {
        "year": str(issue.cover_date.year),
        "volume": str(issue.volume or ""),
        "issue": str(issue.number or ""),
        "id": str(issue.pk),
        "slug": issue.slug,
    }
    return _expand(journal, journal.issue_doi_pattern, parts)


def assign_doi(article: Article) -> bool:
    """Give the article its DOI if it has none, its type is citable and its journal has a
    DOI prefix.

    Returns whether a DOI was assigned; the caller saves the article.
    """
    if article.doi or not article.is_citable:
        return False
    journal = journal_of(article)
    if journal is None or not journal.doi_prefix:
        return False
    article.doi = make_doi(article, journal)
    return True
